package io.tidemark.connector.elasticsearch;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an epoch writes, apart from how it is sent: from an epoch and what is known about each key's
 * stored versions to the bulk operations of design §4. Pure; the writer does the I/O.
 *
 * <p>Each upsert creates the document {@code key@version}, open. Creating (not indexing) it makes a
 * replay harmless: if that version exists already, whatever later epochs did to it (closed it) is
 * kept. Each write, deletes included, closes the key's versions that are open across the epoch's
 * version ({@code from < V < to}) by indexing them again with {@code _tm_to = V}; that is
 * idempotent, never touches a document at its own version, and also repairs a key left with two
 * open versions by an interrupted epoch.
 */
final class EpochMapper {

  private EpochMapper() {}

  /**
   * One write of the epoch, checked and serialized; {@code fatal} says why it cannot be written.
   */
  record PreparedWrite(
      int position, Write write, String index, String idKey, byte[] payload, String fatal) {

    boolean isDelete() {
      return write.isDelete();
    }

    boolean isValid() {
      return fatal == null;
    }
  }

  /** A stored version of a key: its range and its document as compact JSON. */
  record StoredVersion(Version from, Version to, byte[] payload) {
    StoredVersion {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
      Objects.requireNonNull(payload, "payload");
    }
  }

  /**
   * What the writer knows about a key before the epoch: the stored versions that may need closing,
   * or that this very epoch's write of it already went through completely.
   */
  record Prior(List<StoredVersion> versions, boolean alreadyWritten) {
    static final Prior NONE = new Prior(List.of(), false);
    static final Prior ALREADY_WRITTEN = new Prior(List.of(), true);

    Prior {
      versions = List.copyOf(versions);
    }

    static Prior of(StoredVersion version) {
      return new Prior(List.of(version), false);
    }
  }

  /** The two things a write does to documents. */
  enum Kind {
    /** Create the epoch's version of the key, open. */
    CREATE_VERSION,
    /** Index an older version again, closed at the epoch's version. */
    CLOSE_VERSION
  }

  /** One bulk operation, for write number {@code write} of the epoch. */
  record DocOp(int write, Kind kind, String index, String id, String routing, byte[] source) {}

  /**
   * Checks and serializes each write. A write that can never be stored as it is (a reserved field
   * name, a value that is not JSON, a collection that makes no valid index name) gets a reason
   * instead of a payload.
   */
  static List<PreparedWrite> prepare(Epoch epoch, String indexPrefix) {
    Map<String, Object> indexOf = new HashMap<>(); // collection → index name or the problem
    List<PreparedWrite> prepared = new ArrayList<>(epoch.writes().size());
    List<Write> writes = epoch.writes();
    for (int i = 0; i < writes.size(); i++) {
      Write write = writes.get(i);
      Object index =
          indexOf.computeIfAbsent(
              write.collection(),
              c -> {
                try {
                  return Layout.indexName(indexPrefix, c);
                } catch (IllegalArgumentException e) {
                  return e;
                }
              });
      if (index instanceof IllegalArgumentException problem) {
        prepared.add(new PreparedWrite(i, write, null, null, null, problem.getMessage()));
        continue;
      }
      String fatal = null;
      byte[] payload = null;
      if (!write.isDelete()) {
        fatal = reservedField(write);
        if (fatal == null) {
          try {
            payload = Json.payload(write.document());
          } catch (JsonProcessingException e) {
            fatal =
                "document of "
                    + describe(write)
                    + " is not JSON-shaped: "
                    + e.getOriginalMessage()
                    + "; a projection must produce String, Number, Boolean, null, List and Map"
                    + " values";
          }
        }
      }
      prepared.add(
          new PreparedWrite(
              i,
              write,
              (String) index,
              fatal == null ? Layout.idKey(write.key()) : null,
              payload,
              fatal));
    }
    return prepared;
  }

  /**
   * The bulk operations of an epoch at {@code version}: per valid write, the close of every prior
   * version open across {@code version}, then (upserts) the creation of the new version.
   *
   * @param priors what is known about each write's key, parallel to {@code writes}
   */
  static List<DocOp> operations(Version version, List<PreparedWrite> writes, List<Prior> priors) {
    if (writes.size() != priors.size()) {
      throw new IllegalArgumentException(
          writes.size() + " writes but " + priors.size() + " priors: give one prior per write");
    }
    long to = Layout.encode(version);
    List<DocOp> ops = new ArrayList<>(writes.size() * 2);
    for (int i = 0; i < writes.size(); i++) {
      PreparedWrite w = writes.get(i);
      Prior prior = priors.get(i);
      if (!w.isValid() || prior.alreadyWritten()) {
        continue;
      }
      String key = w.write().key();
      for (StoredVersion old : prior.versions()) {
        if (old.from().isBefore(version) && version.isBefore(old.to())) {
          ops.add(
              new DocOp(
                  w.position(),
                  Kind.CLOSE_VERSION,
                  w.index(),
                  Layout.documentId(w.idKey(), old.from()),
                  Layout.routing(w.idKey()),
                  Json.versionSource(key, Layout.encode(old.from()), to, old.payload())));
        }
      }
      if (!w.isDelete()) {
        ops.add(
            new DocOp(
                w.position(),
                Kind.CREATE_VERSION,
                w.index(),
                Layout.documentId(w.idKey(), version),
                Layout.routing(w.idKey()),
                Json.versionSource(key, to, Layout.OPEN, w.payload())));
      }
    }
    return ops;
  }

  private static String reservedField(Write write) {
    for (String field : write.document().keySet()) {
      if (field == null) {
        return "document of " + describe(write) + " has a null field name";
      }
      if (field.startsWith(Layout.RESERVED_PREFIX)) {
        return "document of "
            + describe(write)
            + " has field '"
            + field
            + "': top-level fields starting with "
            + Layout.RESERVED_PREFIX
            + " are the store's bookkeeping; rename it in the projection";
      }
    }
    return null;
  }

  static String describe(Write write) {
    return "collection '" + write.collection() + "' key '" + write.key() + "'";
  }
}
