package io.tidemark.connector.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.VersionRange;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemcachedLayoutTest {

  private static final byte[] ADS = bytes("ads");
  private static final byte[] K = bytes("k");
  private static final int BIG = 1 << 20;

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] json(String title) {
    return Documents.encode(Map.of("title", title));
  }

  /** Writes and returns the stored value; fails when the write is not a store. */
  private static byte[] write(byte[] current, long version, byte[] payload) {
    return write(current, version, payload, null, 8, BIG);
  }

  private static byte[] write(
      byte[] current, long version, byte[] payload, Version horizon, int max, int maxBytes) {
    MemcachedLayout.Update update =
        MemcachedLayout.write(current, ADS, K, version, payload, horizon, max, maxBytes);
    assertThat(update).isInstanceOf(MemcachedLayout.Store.class);
    return ((MemcachedLayout.Store) update).value();
  }

  private static Lookup at(byte[] value, long version) {
    return MemcachedLayout.lookup(value, ADS, "k", Version.of(version));
  }

  @Test
  void plainKeysStayReadableOthersBecomeDigests() {
    assertThat(MemcachedLayout.cacheKey("ads", "k1")).isEqualTo("tm:ads:k1");
    assertThat(MemcachedLayout.cacheKey("ads", "a/b@c:d")).isEqualTo("tm:ads:a/b@c:d");
    for (String key : new String[] {"with spaces", "ключ-🔑", "tab\t", "x".repeat(250)}) {
      String cacheKey = MemcachedLayout.cacheKey("ads", key);
      assertThat(cacheKey).startsWith("tmh:").hasSize(4 + 43);
      assertThat(cacheKey.chars().allMatch(c -> c > 0x20 && c < 0x7F)).isTrue();
    }
    // Names that could be read two ways are digested too, and differ.
    assertThat(MemcachedLayout.cacheKey("a:b", "c")).startsWith("tmh:");
    assertThat(MemcachedLayout.cacheKey("a", "b:c")).isEqualTo("tm:a:b:c");
    assertThat(MemcachedLayout.cacheKey("watermark", "src")).startsWith("tmh:");
    assertThat(MemcachedLayout.cacheKey("ads", "a b"))
        .isNotEqualTo(MemcachedLayout.cacheKey("ads", "a  b"));
    assertThat(MemcachedLayout.cacheKey("x", "yz"))
        .isNotEqualTo(MemcachedLayout.cacheKey("xy", "z"));
  }

  @Test
  void firstWriteOfAMissingKeyCoversOnlyFromItsVersion() {
    byte[] value = write(null, 50, json("a"));
    assertThat(at(value, 49)).isEqualTo(Lookup.miss());
    Lookup found = at(value, 50);
    assertThat(found.entry().orElseThrow().range())
        .isEqualTo(VersionRange.openFrom(Version.of(50)));
    assertThat(found.document()).contains(Map.of("title", "a"));
  }

  @Test
  void nextVersionClosesThePreviousOne() {
    byte[] value = write(write(null, 10, json("a")), 20, json("b"));
    Lookup old = at(value, 19);
    assertThat(old.entry().orElseThrow().range())
        .isEqualTo(new VersionRange(Version.of(10), Version.of(20)));
    assertThat(old.document()).contains(Map.of("title", "a"));
    assertThat(at(value, 20).document()).contains(Map.of("title", "b"));
    assertThat(MemcachedLayout.latest(value, ADS, "k").document()).contains(Map.of("title", "b"));
  }

  @Test
  void deletionLeavesAMarkerThatAnswersAbsent() {
    byte[] value = write(write(null, 10, json("a")), 20, null);
    assertThat(at(value, 15).isFound()).isTrue();
    assertThat(at(value, 20)).isEqualTo(Lookup.absent());
    assertThat(MemcachedLayout.latest(value, ADS, "k")).isEqualTo(Lookup.absent());
    byte[] again = write(value, 30, json("c"));
    assertThat(at(again, 25)).isEqualTo(Lookup.absent());
    assertThat(at(again, 30).document()).contains(Map.of("title", "c"));
  }

  @Test
  void replaysOfTheSameOrAnOlderVersionChangeNothing() {
    byte[] value = write(write(null, 10, json("a")), 20, json("b"));
    assertThat(MemcachedLayout.write(value, ADS, K, 20, json("b"), null, 8, BIG))
        .isInstanceOf(MemcachedLayout.AlreadyThere.class);
    assertThat(MemcachedLayout.write(value, ADS, K, 10, json("a"), null, 8, BIG))
        .isInstanceOf(MemcachedLayout.AlreadyThere.class);
    // Older than the newest and not in the list: still refused, it could hide a missing version.
    assertThat(MemcachedLayout.write(value, ADS, K, 15, json("x"), null, 8, BIG))
        .isEqualTo(new MemcachedLayout.AlreadyThere("a newer version is cached"));
  }

  @Test
  void trimsToTheHorizonKeepingTheEntryVisibleThere() {
    byte[] value = null;
    for (long v = 10; v <= 50; v += 10) {
      value = write(value, v, json("v" + v));
    }
    byte[] trimmed = write(value, 60, json("v60"), Version.of(35), 8, BIG);
    // [10,20) and [20,30) end before 35; [30,40) is visible at 35 and stays.
    assertThat(at(trimmed, 29)).isEqualTo(Lookup.miss());
    assertThat(at(trimmed, 35).document()).contains(Map.of("title", "v30"));
    assertThat(at(trimmed, 60).document()).contains(Map.of("title", "v60"));
    assertThat(MemcachedLayout.decode(trimmed).slots()).hasSize(4);
  }

  @Test
  void keepsAtMostMaxVersionsDroppingTheOldest() {
    byte[] value = null;
    for (long v = 1; v <= 5; v++) {
      value = write(value, v, json("v" + v), null, 3, BIG);
    }
    assertThat(MemcachedLayout.decode(value).slots()).hasSize(3);
    assertThat(at(value, 2)).isEqualTo(Lookup.miss());
    assertThat(at(value, 3).document()).contains(Map.of("title", "v3"));
  }

  @Test
  void tooLargeForOneItemDropsOldVersionsThenMarksTheVersionNotCached() {
    byte[] small = write(null, 10, json("a"));
    String big = "x".repeat(650); // fits in 700 bytes alone, not with the older entry
    byte[] value = write(small, 20, json(big), null, 8, 700);
    assertThat(at(value, 15)).isEqualTo(Lookup.miss());
    assertThat(at(value, 20).document()).contains(Map.of("title", big));

    MemcachedLayout.Update tooBig =
        MemcachedLayout.write(value, ADS, K, 30, json("y".repeat(800)), null, 8, 700);
    assertThat(((MemcachedLayout.Store) tooBig).cached()).isFalse();
    byte[] marked = ((MemcachedLayout.Store) tooBig).value();
    assertThat(marked.length).isLessThanOrEqualTo(700);
    // Never the old value at or after 30: a miss, and the read database answers.
    assertThat(at(marked, 30)).isEqualTo(Lookup.miss());
    assertThat(MemcachedLayout.latest(marked, ADS, "k")).isEqualTo(Lookup.miss());
    // A later small version is cached again.
    assertThat(at(write(marked, 40, json("z"), null, 8, 700), 40).isFound()).isTrue();
  }

  @Test
  void anotherKeysValueOrGarbageIsAMissAndIsReplaced() {
    byte[] other =
        MemcachedLayout.encode(
            ADS, bytes("other"), MemcachedLayout.decode(write(null, 10, json("a"))).slots());
    assertThat(at(other, 10)).isEqualTo(Lookup.miss());
    assertThat(at(new byte[] {9, 9, 9}, 10)).isEqualTo(Lookup.miss());
    assertThat(at(new byte[] {1, 100}, 10)).isEqualTo(Lookup.miss());
    byte[] replaced = write(other, 20, json("b"));
    assertThat(at(replaced, 10)).isEqualTo(Lookup.miss());
    assertThat(at(replaced, 20).document()).contains(Map.of("title", "b"));
  }

  @Test
  void encodesExactUnsignedVersionsAboveTwoToThe63() {
    long high = 0xF000_0000_0000_0001L;
    byte[] value = write(write(null, 7, json("low")), high, json("high"));
    assertThat(at(value, high - 1).document()).contains(Map.of("title", "low"));
    assertThat(at(value, high).version()).contains(Version.of(high));
    assertThat(at(value, -2L).document()).contains(Map.of("title", "high"));
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  @Test
  void appendedEntriesCloseThePreviousOneAndReadLikeARewrittenList() {
    byte[] appended =
        concat(
            MemcachedLayout.newList(ADS, K, MemcachedLayout.entry(10, json("a"))),
            MemcachedLayout.entry(20, json("b")),
            MemcachedLayout.entry(30, null),
            MemcachedLayout.entry(40, json("d")));
    byte[] rewritten =
        write(write(write(write(null, 10, json("a")), 20, json("b")), 30, null), 40, json("d"));
    assertThat(appended).isEqualTo(rewritten);
    assertThat(at(appended, 9)).isEqualTo(Lookup.miss());
    assertThat(at(appended, 19).entry().orElseThrow().range())
        .isEqualTo(new VersionRange(Version.of(10), Version.of(20)));
    assertThat(at(appended, 35)).isEqualTo(Lookup.absent());
    assertThat(at(appended, 40).entry().orElseThrow().range())
        .isEqualTo(VersionRange.openFrom(Version.of(40)));
  }

  /**
   * A version appended twice (a retried write), or an older one after a newer one (a writer behind
   * another, or a replay after a crash), is skipped: the older one could sit right below a version
   * the list never received.
   */
  @Test
  void appendedReplaysAndOlderVersionsAreSkippedWhenRead() {
    byte[] value =
        concat(
            MemcachedLayout.newList(ADS, K, MemcachedLayout.entry(10, json("a"))),
            MemcachedLayout.entry(30, json("c")),
            MemcachedLayout.entry(30, json("c again")),
            MemcachedLayout.entry(20, json("older, late")),
            MemcachedLayout.entry(40, json("d")));
    assertThat(at(value, 25).document()).contains(Map.of("title", "a"));
    assertThat(at(value, 25).entry().orElseThrow().range().to()).isEqualTo(Version.of(30));
    assertThat(at(value, 35).document()).contains(Map.of("title", "c"));
    assertThat(at(value, 35).entry().orElseThrow().range().to()).isEqualTo(Version.of(40));
    assertThat(MemcachedLayout.Known.of(value).versions()).containsExactly(10, 30, 40);
    // A rewrite keeps only what a read takes.
    byte[] rewritten = write(value, 50, json("e"));
    assertThat(MemcachedLayout.Known.of(rewritten).versions()).containsExactly(10, 30, 40, 50);
  }

  @Test
  void routeAppendsToKnownListsAddsUnknownKeysAndRewritesWhenTrimmingIsDue() {
    MemcachedLayout.Known three = new MemcachedLayout.Known(new long[] {10, 20, 30}, 900);
    assertThat(MemcachedLayout.route(null, 40, 10, 300, null, 8, BIG))
        .isEqualTo(MemcachedLayout.Route.ADD);
    assertThat(MemcachedLayout.route(null, 40, 10, BIG, null, 8, BIG))
        .isEqualTo(MemcachedLayout.Route.REWRITE);
    assertThat(MemcachedLayout.route(three, 40, 10, 300, null, 8, BIG))
        .isEqualTo(MemcachedLayout.Route.APPEND);
    assertThat(MemcachedLayout.route(three, 30, 10, 300, null, 8, BIG))
        .isEqualTo(MemcachedLayout.Route.ALREADY_THERE);
    assertThat(MemcachedLayout.route(three, 25, 10, 300, null, 8, BIG))
        .isEqualTo(MemcachedLayout.Route.ALREADY_THERE);
    // Past maxVersions or the item size: rewrite (which trims).
    assertThat(MemcachedLayout.route(three, 40, 10, 300, null, 3, BIG))
        .isEqualTo(MemcachedLayout.Route.REWRITE);
    assertThat(MemcachedLayout.route(three, 40, 10, 300, null, 8, 1100))
        .isEqualTo(MemcachedLayout.Route.REWRITE);
    // Entries closed at or before the horizon: [10,20) and [20,30) at 30; with 40, also [30,40).
    assertThat(MemcachedLayout.route(three, 40, 10, 300, Version.of(30), 8, BIG))
        .isEqualTo(MemcachedLayout.Route.APPEND);
    assertThat(MemcachedLayout.route(three, 40, 10, 300, Version.of(40), 8, BIG))
        .isEqualTo(MemcachedLayout.Route.REWRITE);
    // Unsigned versions: above 2^63 is newer.
    MemcachedLayout.Known high = new MemcachedLayout.Known(new long[] {-16L}, 300);
    assertThat(MemcachedLayout.route(high, 5, 10, 300, null, 8, BIG))
        .isEqualTo(MemcachedLayout.Route.ALREADY_THERE);
    assertThat(MemcachedLayout.route(high, -2L, 10, 300, null, 8, BIG))
        .isEqualTo(MemcachedLayout.Route.APPEND);
  }
}
