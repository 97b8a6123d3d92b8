package io.tidemark.connector.memcached;

import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.VersionRange;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The versioned layout in Memcached (design §4), as pure functions: no I/O, tested without a
 * server.
 *
 * <p><b>Keys.</b> One memcached item per key. Memcached keys are at most 250 bytes of printable
 * ASCII without spaces, so {@code tm:<collection>:<key>} is used as it is only when it qualifies
 * (and the collection has no {@code :} and is not {@code watermark}, so two keys never share a
 * name); any other key becomes {@code tmh:} plus the base64url SHA-256 of collection and key. The
 * value names its collection and key, and a read or write that finds another key's value there
 * treats it as absent (a miss), so even a digest collision could not answer wrongly.
 *
 * <p><b>Values.</b> A version list, oldest first: each entry {@code (from, kind, payload)}, kind
 * {@code D} a document (JSON payload), {@code X} a deletion marker, {@code U} a version that exists
 * but is not cached (its list would not fit in an item). An entry's {@code to} is not stored: it is
 * the next entry's {@code from}, and the newest is open. That lets a writer add a version with one
 * memcached {@code append} of the new entry, without reading the list first. A list covers only
 * what it holds: when a key is missing (never cached, evicted, flushed) and version V is written,
 * the new list starts at V, so reads below V miss instead of claiming the key was absent.
 *
 * <p><b>Reading a list.</b> Entries are taken in order, and an entry whose version is not above
 * every one taken before it is skipped: a replayed version appended twice, or an older version
 * appended after a newer one (by a writer behind another, or a replay after a crash). Skipping the
 * older one is what keeps the taken entries contiguous: had it been taken, it would sit right below
 * a version this list never received, and reads between them would see the older value. (A whole
 * list rewritten by a compaction holds only taken entries.)
 *
 * <p>Binary form: {@code 2} (format), collection and key (varint length + UTF-8), then entries to
 * the end of the value: {@code from} (8 bytes, big-endian), the kind byte, and for documents the
 * payload (varint length + bytes).
 */
final class MemcachedLayout {

  static final byte DOCUMENT = 'D';
  static final byte DELETION = 'X';
  static final byte NOT_CACHED = 'U';

  static final int MAX_KEY_BYTES = 250;
  private static final byte FORMAT = 2;
  private static final long OPEN = Version.OPEN.asLong();

  private MemcachedLayout() {}

  // ------------------------------------------------------------------- keys

  /** The memcached key of (collection, key). */
  static String cacheKey(String collection, String key) {
    String plain = "tm:" + collection + ":" + key;
    if (plain.length() <= MAX_KEY_BYTES
        && collection.indexOf(':') < 0
        && !collection.equals("watermark")
        && isPlainAscii(plain)) {
      return plain;
    }
    return "tmh:" + digest(collection, key);
  }

  /** The key that mirrors a source's watermark. */
  static String watermarkKey(String source) {
    return "tm:watermark:" + source;
  }

  private static boolean isPlainAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c <= 0x20 || c >= 0x7F) {
        return false;
      }
    }
    return true;
  }

  private static String digest(String collection, String key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(collection.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(key.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  // ------------------------------------------------------------------ values

  /** One version in a list; the payload is a slice of {@code buffer}. */
  record Slot(long from, long to, byte kind, byte[] buffer, int offset, int length) {

    boolean visibleAt(long at) {
      return VersionRange.visibleAt(from, to, at);
    }

    Slot closedAt(long version) {
      return new Slot(from, version, kind, buffer, offset, length);
    }

    /** Bytes this slot takes in a value. */
    int encodedSize() {
      return 9 + (kind == DOCUMENT ? varintSize(length) + length : 0);
    }
  }

  /** A decoded value: whose it is and its versions, oldest first. */
  record VersionList(byte[] collection, byte[] key, List<Slot> slots) {

    boolean belongsTo(byte[] collection, byte[] key) {
      return Arrays.equals(this.collection, collection) && Arrays.equals(this.key, key);
    }

    Slot newest() {
      return slots.get(slots.size() - 1);
    }
  }

  /**
   * The value's version list, or null when it is not a Tidemark value (another format or corrupt)
   * or holds no entry: callers treat that like a missing item. Entries not above every earlier one
   * are skipped (see the class comment).
   */
  static VersionList decode(byte[] value) {
    if (value == null || value.length < 1 || value[0] != FORMAT) {
      return null;
    }
    try {
      Reader in = new Reader(value, 1);
      byte[] collection = in.bytes();
      byte[] key = in.bytes();
      List<Slot> slots = new ArrayList<>(4);
      while (in.at < value.length) {
        long from = in.long64();
        byte kind = value[in.at++];
        int offset = 0;
        int length = 0;
        if (kind == DOCUMENT) {
          length = in.varint();
          in.require(length);
          offset = in.at;
          in.at += length;
        } else if (kind != DELETION && kind != NOT_CACHED) {
          return null;
        }
        if (!slots.isEmpty()) {
          Slot last = slots.get(slots.size() - 1);
          if (Long.compareUnsigned(from, last.from()) <= 0) {
            continue; // a replay, or an older version after a newer one
          }
          slots.set(slots.size() - 1, last.closedAt(from));
        }
        slots.add(new Slot(from, OPEN, kind, value, offset, length));
      }
      return slots.isEmpty() ? null : new VersionList(collection, key, slots);
    } catch (ArrayIndexOutOfBoundsException e) {
      return null;
    }
  }

  static byte[] encode(byte[] collection, byte[] key, List<Slot> slots) {
    byte[] out = new byte[encodedSize(collection, key, slots)];
    int at = putHeader(out, collection, key);
    for (Slot slot : slots) {
      at = putEntry(out, at, slot.from(), slot.kind(), slot.buffer(), slot.offset(), slot.length());
    }
    return out;
  }

  static int encodedSize(byte[] collection, byte[] key, List<Slot> slots) {
    int size = headerSize(collection, key);
    for (Slot slot : slots) {
      size += slot.encodedSize();
    }
    return size;
  }

  /** A new list holding one entry: what {@code add} stores for a key memcached does not hold. */
  static byte[] newList(byte[] collection, byte[] key, byte[] entry) {
    byte[] out = new byte[headerSize(collection, key) + entry.length];
    int at = putHeader(out, collection, key);
    System.arraycopy(entry, 0, out, at, entry.length);
    return out;
  }

  /**
   * The bytes of one entry, as {@code append} adds them to a list: {@code payload} null deletes.
   */
  static byte[] entry(long version, byte[] payload) {
    byte kind = payload == null ? DELETION : DOCUMENT;
    int length = payload == null ? 0 : payload.length;
    byte[] out = new byte[9 + (payload == null ? 0 : varintSize(length) + length)];
    putEntry(out, 0, version, kind, payload, 0, length);
    return out;
  }

  static int headerSize(byte[] collection, byte[] key) {
    return 1
        + varintSize(collection.length)
        + collection.length
        + varintSize(key.length)
        + key.length;
  }

  private static int putHeader(byte[] out, byte[] collection, byte[] key) {
    int at = 0;
    out[at++] = FORMAT;
    at = putBytes(out, at, collection, 0, collection.length);
    return putBytes(out, at, key, 0, key.length);
  }

  private static int putEntry(
      byte[] out, int at, long from, byte kind, byte[] buffer, int offset, int length) {
    at = putLong(out, at, from);
    out[at++] = kind;
    if (kind == DOCUMENT) {
      at = putBytes(out, at, buffer, offset, length);
    }
    return at;
  }

  // ----------------------------------------------------------------- writing

  /** What a write does to a key's value. */
  sealed interface Update {}

  /** The list already holds this version, or a newer one: nothing to write. */
  record AlreadyThere(String why) implements Update {}

  /** Store this value (add when the item was missing, CAS otherwise). */
  record Store(byte[] value, boolean cached) implements Update {}

  /**
   * The key's new value after writing {@code version}.
   *
   * @param current the key's value now, or null when memcached does not hold it
   * @param payload the document's JSON, or null for a deletion
   * @param horizon the oldest version still readable, or null when not known: entries that end at
   *     or before it are dropped, keeping the one visible at it
   * @param maxVersions the most entries the list keeps (the oldest go first)
   * @param maxBytes the largest value memcached accepts: older entries go first, and when even the
   *     new version alone does not fit, it is recorded as not cached (reads at it miss)
   */
  static Update write(
      byte[] current,
      byte[] collection,
      byte[] key,
      long version,
      byte[] payload,
      Version horizon,
      int maxVersions,
      int maxBytes) {
    List<Slot> slots = new ArrayList<>();
    VersionList list = decode(current);
    if (list != null && list.belongsTo(collection, key)) {
      Slot newest = list.newest();
      for (Slot slot : list.slots()) {
        if (slot.from() == version) {
          return new AlreadyThere("version already cached");
        }
      }
      if (Long.compareUnsigned(newest.from(), version) > 0) {
        // A replay of an older epoch after newer ones. Inserting it could put it right before a
        // version this list never received, and reads between the two would see the older value.
        // Leaving it out only turns reads at that old snapshot into misses.
        return new AlreadyThere("a newer version is cached");
      }
      slots.addAll(list.slots());
      slots.set(slots.size() - 1, newest.closedAt(version));
    }
    // Else: a missing, foreign or unreadable value. The new list starts at this version.
    byte kind = payload == null ? DELETION : DOCUMENT;
    byte[] bytes = payload == null ? new byte[0] : payload;
    slots.add(new Slot(version, OPEN, kind, bytes, 0, bytes.length));

    if (horizon != null) {
      // Entries with to <= horizon are not visible at the horizon or later.
      int firstKept = 0;
      while (firstKept < slots.size() - 1
          && Long.compareUnsigned(slots.get(firstKept).to(), horizon.asLong()) <= 0) {
        firstKept++;
      }
      slots.subList(0, firstKept).clear();
    }
    if (slots.size() > maxVersions) {
      slots.subList(0, slots.size() - maxVersions).clear();
    }
    while (slots.size() > 1 && encodedSize(collection, key, slots) > maxBytes) {
      slots.remove(0);
    }
    boolean cached = true;
    if (encodedSize(collection, key, slots) > maxBytes) {
      Slot alone = slots.get(0);
      slots.set(0, new Slot(alone.from(), alone.to(), NOT_CACHED, alone.buffer(), 0, 0));
      cached = false;
    }
    return new Store(encode(collection, key, slots), cached);
  }

  // ------------------------------------------------------------ the fast path

  /**
   * What a writer knows of a list it wrote: the versions it holds (ascending) and its size. Only an
   * estimate of the item: memcached may have evicted it, and another writer may have added to it;
   * it decides how to write, never what a read answers.
   */
  record Known(long[] versions, int bytes) {

    long newest() {
      return versions[versions.length - 1];
    }

    /** The list after appending an entry of {@code entryBytes} at {@code version}. */
    Known plus(long version, int entryBytes) {
      long[] more = Arrays.copyOf(versions, versions.length + 1);
      more[versions.length] = version;
      return new Known(more, bytes + entryBytes);
    }

    /** What a stored list holds, or null when the value is not a readable list. */
    static Known of(byte[] value) {
      VersionList list = decode(value);
      if (list == null) {
        return null;
      }
      long[] versions = new long[list.slots().size()];
      for (int i = 0; i < versions.length; i++) {
        versions[i] = list.slots().get(i).from();
      }
      return new Known(versions, value.length);
    }
  }

  /** How to write one version of a key. */
  enum Route {
    /** Memcached does not hold the key, as far as this writer knows: {@code add} a new list. */
    ADD,
    /** {@code append} the entry to the list this writer wrote. */
    APPEND,
    /** This writer already wrote this version or a newer one: nothing to write. */
    ALREADY_THERE,
    /** Read the list and store it whole with {@code cas}: it needs trimming, or is unknown. */
    REWRITE
  }

  /** Droppable entries (closed at or before the horizon) that make a list worth rewriting. */
  static final int REWRITE_AT_DROPPABLE = 3;

  /**
   * The route for writing {@code version} (an entry of {@code entryBytes}) to a key of which this
   * writer knows {@code known} (null: nothing). An append is one round trip and carries only the
   * new entry; a rewrite reads and stores the whole list, and is what trims it: when the list would
   * pass {@code maxVersions} or {@code maxBytes}, or when {@link #REWRITE_AT_DROPPABLE} of its
   * entries are no longer readable from the horizon on.
   */
  static Route route(
      Known known,
      long version,
      int headerBytes,
      int entryBytes,
      Version horizon,
      int maxVersions,
      int maxBytes) {
    if (known == null) {
      return headerBytes + entryBytes <= maxBytes ? Route.ADD : Route.REWRITE;
    }
    if (Long.compareUnsigned(known.newest(), version) >= 0) {
      return Route.ALREADY_THERE;
    }
    if (known.versions().length + 1 > maxVersions || known.bytes() + entryBytes > maxBytes) {
      return Route.REWRITE;
    }
    if (horizon != null) {
      // Entry i ends where entry i + 1 starts; the new version ends the newest known one.
      int droppable = 0;
      long[] versions = known.versions();
      for (int i = 0; i < versions.length; i++) {
        long to = i + 1 < versions.length ? versions[i + 1] : version;
        if (Long.compareUnsigned(to, horizon.asLong()) <= 0) {
          droppable++;
        }
      }
      if (droppable >= REWRITE_AT_DROPPABLE) {
        return Route.REWRITE;
      }
    }
    return Route.APPEND;
  }

  // ----------------------------------------------------------------- reading

  /**
   * The answer at {@code at} from a key's value ({@code null} when memcached does not hold it): the
   * entry whose range covers {@code at}, by {@link VersionRange#visibleAt}; a miss when none does,
   * or when it is a version that is not cached.
   */
  static Lookup lookup(byte[] value, byte[] collection, String key, Version at) {
    VersionList list = decode(value);
    if (list == null || !list.belongsTo(collection, key.getBytes(StandardCharsets.UTF_8))) {
      return Lookup.miss();
    }
    for (Slot slot : list.slots()) {
      if (slot.visibleAt(at.asLong())) {
        return answer(key, slot);
      }
    }
    return Lookup.miss();
  }

  /** The answer from the newest entry. */
  static Lookup latest(byte[] value, byte[] collection, String key) {
    VersionList list = decode(value);
    if (list == null || !list.belongsTo(collection, key.getBytes(StandardCharsets.UTF_8))) {
      return Lookup.miss();
    }
    return answer(key, list.newest());
  }

  private static Lookup answer(String key, Slot slot) {
    return switch (slot.kind()) {
      case DELETION -> Lookup.absent();
      case DOCUMENT ->
          Lookup.found(
              new Entry(
                  key,
                  new VersionRange(Version.of(slot.from()), Version.of(slot.to())),
                  Documents.decode(slot.buffer(), slot.offset(), slot.length())));
      default -> Lookup.miss();
    };
  }

  // ------------------------------------------------------------------ bytes

  static int varintSize(int value) {
    int size = 1;
    while ((value >>>= 7) != 0) {
      size++;
    }
    return size;
  }

  private static int putVarint(byte[] out, int at, int value) {
    while ((value & ~0x7F) != 0) {
      out[at++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[at++] = (byte) value;
    return at;
  }

  private static int putBytes(byte[] out, int at, byte[] bytes, int offset, int length) {
    at = putVarint(out, at, length);
    System.arraycopy(bytes, offset, out, at, length);
    return at + length;
  }

  private static int putLong(byte[] out, int at, long value) {
    for (int i = 0; i < 8; i++) {
      out[at++] = (byte) (value >>> (56 - 8 * i));
    }
    return at;
  }

  /** A cursor over a value; out-of-range reads throw ArrayIndexOutOfBoundsException. */
  private static final class Reader {
    final byte[] value;
    int at;

    Reader(byte[] value, int at) {
      this.value = value;
      this.at = at;
    }

    int varint() {
      int result = 0;
      for (int shift = 0; shift < 32; shift += 7) {
        byte b = value[at++];
        result |= (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          if (result < 0) {
            throw new ArrayIndexOutOfBoundsException("negative length");
          }
          return result;
        }
      }
      throw new ArrayIndexOutOfBoundsException("varint too long");
    }

    long long64() {
      require(8);
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (value[at++] & 0xFF);
      }
      return v;
    }

    void require(int length) {
      if (length < 0 || at + length > value.length) {
        throw new ArrayIndexOutOfBoundsException("value ends early");
      }
    }

    byte[] bytes() {
      int length = varint();
      require(length);
      byte[] out = Arrays.copyOfRange(value, at, at + length);
      at += length;
      return out;
    }
  }
}
