package io.tidemark.it;

import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Version;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything a campaign saw, recorded while it runs and replayed by the {@link Checker}: committed
 * source transactions with a bracket around their commit LSN, reads with their stamp and answer,
 * frontiers observed, read-your-writes requests and refusals. Thread-safe; append-only.
 */
final class History {

  /** A row of a collection. */
  record Key(String collection, String id) {
    @Override
    public String toString() {
      return collection + "/" + id;
    }
  }

  /**
   * One committed source transaction. {@code writes} maps each row it changed to the row after it
   * (a document of column → value), or to empty when it deleted the row. Its commit LSN is
   * somewhere in [{@code lower}, {@code upper}]: {@code lower} is {@code
   * pg_current_wal_insert_lsn()} just before {@code COMMIT}, {@code upper} the same just after, on
   * the same connection.
   */
  record Tx(
      long seq, Version lower, Version upper, Map<Key, Optional<Map<String, Object>>> writes) {
    Tx {
      if (upper.isBefore(lower)) {
        throw new IllegalArgumentException("tx " + seq + ": upper " + upper + " < lower " + lower);
      }
      writes = Map.copyOf(writes);
    }

    boolean definitelyAtOrBelow(Version s) {
      return !upper.isAfter(s);
    }

    boolean definitelyAbove(Version s) {
      return lower.isAfter(s);
    }

    @Override
    public String toString() {
      return "tx#" + seq + "[" + lower + ".." + upper + "] " + writes;
    }
  }

  /** One hit of a search, or the answer of a key read. */
  record Doc(String id, Version version, Map<String, Object> doc) {}

  /** What a read answered. */
  record Answer(Kind kind, Doc doc, List<Doc> hits, String error) {
    enum Kind {
      FOUND,
      ABSENT,
      MISS,
      HITS,
      ERROR
    }

    static Answer found(Doc doc) {
      return new Answer(Kind.FOUND, doc, List.of(), null);
    }

    static Answer absent() {
      return new Answer(Kind.ABSENT, null, List.of(), null);
    }

    static Answer miss() {
      return new Answer(Kind.MISS, null, List.of(), null);
    }

    static Answer hits(List<Doc> hits) {
      return new Answer(Kind.HITS, null, List.copyOf(hits), null);
    }

    /**
     * A refusal or failure, by its error code ({@code store_unavailable}, {@code bad_token}...).
     */
    static Answer error(String code) {
      return new Answer(Kind.ERROR, null, List.of(), code);
    }

    @Override
    public String toString() {
      return switch (kind) {
        case FOUND -> "found " + doc.doc() + " @" + doc.version();
        case ABSENT -> "absent";
        case MISS -> "cache miss";
        case HITS -> hits.size() + " hits " + hits.stream().map(Doc::id).sorted().toList();
        case ERROR -> "error " + error;
      };
    }
  }

  /**
   * One read. {@code group} ties together the reads made at one snapshot (one token): they must all
   * agree on the same cut (invariant 2). {@code path} is {@code library} or {@code sidecar}; {@code
   * store} names the store asked ({@code get} for the library's cache-then-db path). A key read has
   * {@code key}; a search has {@code collection} and {@code query} (a single word that must occur
   * in the title), and asks for every match.
   */
  record Read(
      long seq,
      long group,
      String path,
      String store,
      boolean cache,
      ConsistencyLevel level,
      Version at,
      String collection,
      String id,
      String query,
      Answer answer,
      Version floor) {

    Key key() {
      return new Key(collection, id);
    }

    boolean isSearch() {
      return query != null;
    }

    @Override
    public String toString() {
      return "read#"
          + seq
          + " group "
          + group
          + " "
          + path
          + "/"
          + store
          + " "
          + level
          + " at "
          + at
          + (floor == null ? "" : " (between boundaries, above " + floor + ")")
          + " "
          + (isSearch() ? collection + " search '" + query + "'" : key())
          + " -> "
          + answer;
    }
  }

  /** A frontier (or snapshot stamp) one observer saw, in the order it saw them. */
  record Observed(String observer, long seq, Version frontier) {}

  /**
   * A writer asked for a snapshot at least {@code wanted} (its commit's upper bound) and got {@code
   * got}, or empty when the wait ran out (a clear timeout is allowed).
   */
  record ReadYourWrites(long txSeq, Version wanted, Optional<Version> got) {}

  /**
   * A request made with a token chosen to be refused: {@code expected} is the code invariant 6
   * demands ({@code bad_token}, {@code snapshot_expired}, {@code snapshot_not_ready}), {@code
   * actual} the code (or {@code ok}) it got.
   */
  record Refusal(String path, String token, String expected, String actual) {}

  private final AtomicLong sequence = new AtomicLong();
  private final AtomicLong groups = new AtomicLong();
  private final List<Tx> txs = Collections.synchronizedList(new ArrayList<>());
  private final List<Read> reads = Collections.synchronizedList(new ArrayList<>());
  private final List<Observed> observed = Collections.synchronizedList(new ArrayList<>());
  private final List<ReadYourWrites> ryw = Collections.synchronizedList(new ArrayList<>());
  private final List<Refusal> refusals = Collections.synchronizedList(new ArrayList<>());

  long nextGroup() {
    return groups.incrementAndGet();
  }

  Tx committed(
      long seq, Version lower, Version upper, Map<Key, Optional<Map<String, Object>>> writes) {
    Tx tx = new Tx(seq, lower, upper, writes);
    txs.add(tx);
    return tx;
  }

  void read(
      long group,
      String path,
      String store,
      boolean cache,
      ConsistencyLevel level,
      Version at,
      String collection,
      String id,
      String query,
      Answer answer) {
    read(group, path, store, cache, level, at, collection, id, query, answer, null);
  }

  /**
   * A read at {@code at}; with a {@code floor}, {@code at} is a token chosen between two published
   * frontiers, {@code floor} being the lower one.
   */
  void read(
      long group,
      String path,
      String store,
      boolean cache,
      ConsistencyLevel level,
      Version at,
      String collection,
      String id,
      String query,
      Answer answer,
      Version floor) {
    Objects.requireNonNull(answer, "answer");
    reads.add(
        new Read(
            sequence.incrementAndGet(),
            group,
            path,
            store,
            cache,
            level,
            at,
            collection,
            id,
            query,
            answer,
            floor));
  }

  void observed(String observer, Version frontier) {
    observed.add(new Observed(observer, sequence.incrementAndGet(), frontier));
  }

  void readYourWrites(long txSeq, Version wanted, Optional<Version> got) {
    ryw.add(new ReadYourWrites(txSeq, wanted, got));
  }

  void refusal(String path, String token, String expected, String actual) {
    refusals.add(new Refusal(path, token, expected, actual));
  }

  List<Tx> txs() {
    synchronized (txs) {
      return List.copyOf(txs);
    }
  }

  List<Read> reads() {
    synchronized (reads) {
      return List.copyOf(reads);
    }
  }

  List<Observed> observed() {
    synchronized (observed) {
      return List.copyOf(observed);
    }
  }

  List<ReadYourWrites> readYourWrites() {
    synchronized (ryw) {
      return List.copyOf(ryw);
    }
  }

  List<Refusal> refusals() {
    synchronized (refusals) {
      return List.copyOf(refusals);
    }
  }

  int txCount() {
    return txs.size();
  }

  int readCount() {
    return reads.size();
  }
}
