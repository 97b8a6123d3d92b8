package io.tidemark.connector.redis;

import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.VersionRange;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The versioned layout in Redis (design §4), as pure functions: no I/O, tested without a server.
 *
 * <p><b>Keys.</b> One sorted set per key, {@code tm:<collection>:<key>} in UTF-8 (Redis keys are
 * binary-safe, so any key text works: unicode, spaces, {@code @ / :}). The watermark of a source
 * lives in the string {@code tm:watermark:<source>}, and the set {@code tm:sources} names the
 * sources that have one, so a new writer finds them without scanning the keyspace. A collection may
 * not contain {@code :} (its SCAN pattern would match another collection's keys) and may not be
 * {@code watermark}.
 *
 * <p><b>Members.</b> {@code [8-byte big-endian version][kind][payload]}: kind {@code D} is a
 * document with its JSON as payload, kind {@code X} a deletion marker without payload. Every member
 * has score 0, so Redis orders the set by member bytes, which is exactly unsigned version order:
 * the 8-byte prefix decides and two members never share a version. We do not use the version as the
 * score: scores are doubles, and distinct LSNs above 2^53 would share a score and sort by payload.
 * Lexicographic order keeps all 64 bits exact, and {@code ZRANGE ... BYLEX} answers "newest member
 * at or below S" in one command.
 *
 * <p><b>Ranges.</b> A member's range is {@code [its version, the next member's version)}, or open
 * for the newest member. Closing the previous version is implicit in adding the next one, so a
 * write never rewrites an existing member. This is only right if the set never misses a middle
 * version of its key; see {@link #lookup} for why it cannot.
 */
final class RedisLayout {

  static final byte DOCUMENT = 'D';
  static final byte DELETION = 'X';

  /** Bytes before the payload: the version and the kind. */
  static final int HEADER = 9;

  private static final byte[] PREFIX = "tm:".getBytes(StandardCharsets.US_ASCII);
  private static final String WATERMARK_PREFIX = "tm:watermark:";

  /** The set of source names that have a watermark key. */
  static final byte[] SOURCES_KEY = "tm:sources".getBytes(StandardCharsets.US_ASCII);

  /**
   * The write marks: a sorted set with one member per collection, scored at or above the newest
   * version any writer has added to that collection. It has one {@code :} only, so it can never be
   * a data key ({@code tm:<collection>:<key>} has two).
   */
  static final byte[] WRITTEN_KEY = "tm:written".getBytes(StandardCharsets.US_ASCII);

  /** Lexicographic range bounds as Redis spells them. */
  static final byte[] LEX_MIN = {'-'};

  static final byte[] LEX_MAX = {'+'};

  private RedisLayout() {}

  /**
   * Rejects a collection name that cannot be laid out.
   *
   * @throws IllegalArgumentException naming the collection and what is valid
   */
  static void requireCollection(String collection) {
    if (collection.isEmpty() || collection.indexOf(':') >= 0 || collection.equals("watermark")) {
      throw new IllegalArgumentException(
          "bad collection name '"
              + collection
              + "' for Redis: use a non-empty name without ':' other than 'watermark'"
              + " (keys are tm:<collection>:<key>; tm:watermark:<source> holds watermarks)");
    }
  }

  /** {@code tm:<collection>:<key>} in UTF-8. */
  static byte[] dataKey(String collection, String key) {
    byte[] c = collection.getBytes(StandardCharsets.UTF_8);
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[PREFIX.length + c.length + 1 + k.length];
    System.arraycopy(PREFIX, 0, out, 0, PREFIX.length);
    System.arraycopy(c, 0, out, PREFIX.length, c.length);
    out[PREFIX.length + c.length] = ':';
    System.arraycopy(k, 0, out, PREFIX.length + c.length + 1, k.length);
    return out;
  }

  /** The SCAN pattern matching exactly the keys of {@code collection} (glob characters escaped). */
  static byte[] scanPattern(String collection) {
    StringBuilder pattern = new StringBuilder("tm:");
    for (int i = 0; i < collection.length(); i++) {
      char c = collection.charAt(i);
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
        pattern.append('\\');
      }
      pattern.append(c);
    }
    return pattern.append(":*").toString().getBytes(StandardCharsets.UTF_8);
  }

  static byte[] watermarkKey(String source) {
    return (WATERMARK_PREFIX + source).getBytes(StandardCharsets.UTF_8);
  }

  /** A document member. */
  static byte[] documentMember(Version version, byte[] json) {
    byte[] member = new byte[HEADER + json.length];
    putVersion(member, version.asLong());
    member[8] = DOCUMENT;
    System.arraycopy(json, 0, member, HEADER, json.length);
    return member;
  }

  /** A deletion marker member: the key did not exist from {@code version} on. */
  static byte[] deletionMember(Version version) {
    byte[] member = new byte[HEADER];
    putVersion(member, version.asLong());
    member[8] = DELETION;
    return member;
  }

  /** The version a member (or a version prefix) starts with. */
  static long versionOf(byte[] member) {
    if (member.length < 8) {
      throw new IllegalArgumentException("not a Tidemark member: " + member.length + " bytes");
    }
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (member[i] & 0xFF);
    }
    return v;
  }

  /** The 8-byte prefix of {@code version}. */
  static byte[] versionBytes(long version) {
    byte[] out = new byte[8];
    putVersion(out, version);
    return out;
  }

  /**
   * The exclusive lex bound below which lie exactly the members with version ≤ {@code at}: {@code
   * (<at+1>}, or {@code +} when nothing is above {@code at}.
   */
  static byte[] atOrBelow(long at) {
    if (at == -1L) {
      return LEX_MAX;
    }
    return bound('(', at + 1);
  }

  /**
   * The inclusive lex bound above which lie exactly the members with version > {@code at}: {@code
   * [<at+1>}, or {@code +} (an empty range) when nothing is above {@code at}.
   */
  static byte[] above(long at) {
    if (at == -1L) {
      return LEX_MAX;
    }
    return bound('[', at + 1);
  }

  private static byte[] bound(char kind, long version) {
    byte[] out = new byte[9];
    out[0] = (byte) kind;
    for (int i = 0; i < 8; i++) {
      out[1 + i] = (byte) (version >>> (56 - 8 * i));
    }
    return out;
  }

  private static void putVersion(byte[] into, long version) {
    for (int i = 0; i < 8; i++) {
      into[i] = (byte) (version >>> (56 - 8 * i));
    }
  }

  /**
   * The answer for a read at {@code at}, given the newest member at or below {@code at} ({@code
   * null} when there is none) and the version of the member right after it ({@code null} when it is
   * the newest).
   *
   * <p>Why the newest member at or below S is the entry visible at S: members are only ever added
   * in increasing version order per key. Epochs are applied in order, an epoch being retried until
   * every write succeeded before the next one starts, and a version is added with a plain ZADD only
   * when it is at or above its collection's write mark ({@link #WRITTEN_KEY}), which lies at or
   * above every version any writer has added to the collection; a version below the mark (a replay
   * after a crash, or a lane sending an older version) goes through the checked write script, which
   * refuses it when the key holds a newer member (it answers "already applied" and adds nothing).
   * So a key's set always holds a contiguous run of the key's versions, from the first one written
   * since the key was created (or last lost) up to the newest applied, minus a prefix removed by
   * trimming. Losing data (a restart without persistence, eviction) removes whole keys, never the
   * middle of one. Trimming removes only the oldest members. Hence the member right after the
   * newest one at or below S is the version that replaced it, and its range covers S. When the set
   * has no member at or below S, the cache does not know the key at S: a miss, never "absent".
   */
  static Lookup lookup(String key, byte[] member, byte[] nextVersion, Version at) {
    if (member == null || member.length < HEADER) {
      return Lookup.miss();
    }
    long from = versionOf(member);
    long to = nextVersion == null ? Version.OPEN.asLong() : versionOf(nextVersion);
    if (!VersionRange.visibleAt(from, to, at.asLong())) {
      return Lookup.miss();
    }
    return found(key, member, from, to);
  }

  /**
   * The answer for a read at {@code at} from the key's newest members ({@code newest}, at most two,
   * oldest first, as {@code ZRANGE key -2 -1} returns them), or {@code null} when they do not
   * decide it: both are newer than {@code at}, so the entry visible at {@code at} lies further
   * back.
   */
  static Lookup lookupFromNewest(String key, List<byte[]> newest, Version at) {
    if (newest.isEmpty()) {
      return Lookup.miss(); // the cache does not hold the key
    }
    for (byte[] member : newest) {
      if (member.length < HEADER) {
        return Lookup.miss();
      }
    }
    byte[] last = newest.get(newest.size() - 1);
    if (Long.compareUnsigned(versionOf(last), at.asLong()) <= 0) {
      return lookup(key, last, null, at);
    }
    if (newest.size() == 1) {
      return Lookup.miss(); // its only version came after the snapshot
    }
    byte[] before = newest.get(newest.size() - 2);
    if (Long.compareUnsigned(versionOf(before), at.asLong()) <= 0) {
      return lookup(key, before, last, at);
    }
    return null;
  }

  /** The answer for a read of the newest member ({@code null}: the cache does not hold the key). */
  static Lookup latest(String key, byte[] member) {
    if (member == null || member.length < HEADER) {
      return Lookup.miss();
    }
    return found(key, member, versionOf(member), Version.OPEN.asLong());
  }

  private static Lookup found(String key, byte[] member, long from, long to) {
    if (member[8] == DELETION) {
      return Lookup.absent();
    }
    if (member[8] != DOCUMENT) {
      return Lookup.miss();
    }
    Map<String, Object> document = Documents.decode(member, HEADER, member.length - HEADER);
    VersionRange range = new VersionRange(Version.of(from), Version.of(to));
    return Lookup.found(new Entry(key, range, document));
  }

  /**
   * The smallest double at or above the unsigned {@code version}: a write mark's score. Scores are
   * doubles, exact only up to 2^53; rounding up keeps the mark at or above every version it covers,
   * which is the safe side (a version just below it takes the checked path).
   */
  static double markAtOrAbove(long version) {
    BigDecimal exact = new BigDecimal(Long.toUnsignedString(version));
    double d = exact.doubleValue();
    if (new BigDecimal(d).compareTo(exact) < 0) {
      d = Math.nextUp(d);
    }
    return d;
  }

  /**
   * The unsigned version a write mark's score stands for: the score itself, which is an integer, or
   * the largest version when it lies beyond 64 bits (2^64, the mark of versions near the top).
   */
  static long markVersion(double score) {
    if (!(score >= 0)) {
      return 0;
    }
    BigInteger exact = new BigDecimal(score).toBigInteger();
    return exact.bitLength() > 64 ? -1L : exact.longValue();
  }

  /** For tests and messages: the member's bytes after the header. */
  static byte[] payload(byte[] member) {
    return Arrays.copyOfRange(member, HEADER, member.length);
  }
}
