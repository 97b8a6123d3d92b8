package io.tidemark.connector.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.RedisInfo;
import io.tidemark.devstack.StoreKind;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreUnavailableException;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteOutcome;
import io.tidemark.protocol.store.WriteResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * What the contract suite does not cover: losing data, outages, 64-bit versions, write marks,
 * trimming.
 */
class RedisStoreIT {

  private static RedisInfo shared() {
    return Devstack.shared(StoreKind.REDIS).redis();
  }

  private static RedisStoreConfig config(RedisInfo info) {
    return RedisStoreConfig.of("cache", info.host() + ":" + info.port())
        .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1));
  }

  private static String fresh(String prefix) {
    return String.format(
        Locale.ROOT, "%s_%08x", prefix, ThreadLocalRandom.current().nextInt() & 0x7fffffff);
  }

  private static Map<String, Object> doc(String title) {
    return Map.of("title", title);
  }

  private static Epoch epoch(String source, long version, Write... writes) {
    return new Epoch(source, Version.of(version), List.of(writes), writes.length);
  }

  private static void assertApplied(ApplyResult result) {
    assertThat(result.results())
        .extracting(WriteResult::outcome)
        .as("outcomes %s", result.results())
        .containsOnly(WriteOutcome.APPLIED);
  }

  private static Object title(Lookup lookup) {
    assertThat(lookup.isFound()).as("found: %s", lookup).isTrue();
    return lookup.document().orElseThrow().get("title");
  }

  @Test
  void restartedEmptyRedisMissesEverythingThenAppliesNewEpochs() {
    try (Devstack own = Devstack.builder().stores(StoreKind.REDIS).start();
        RedisStore store = RedisStore.open(config(own.redis()))) {
      String source = fresh("src");
      String ads = fresh("ads");
      assertApplied(store.apply(epoch(source, 100, Write.upsert(ads, "k1", doc("a")))));
      assertApplied(
          store.apply(
              epoch(
                  source,
                  200,
                  Write.upsert(ads, "k1", doc("b")),
                  Write.upsert(ads, "k2", doc("c")))));
      assertThat(title(store.get(ads, "k1", Version.of(150)))).isEqualTo("a");

      own.store(StoreKind.REDIS).restart(); // no persistence: it comes back empty

      for (long at : new long[] {100, 150, 200, 250}) {
        assertThat(store.get(ads, "k1", Version.of(at)))
            .as("k1 at %d", at)
            .isEqualTo(Lookup.miss());
        assertThat(store.get(ads, "k2", Version.of(at)))
            .as("k2 at %d", at)
            .isEqualTo(Lookup.miss());
      }
      assertThat(store.latest(ads, "k1")).isEqualTo(Lookup.miss());
      // What this instance applied; every read up to it is still right (misses).
      assertThat(store.watermark().get(source)).contains(Version.of(200));

      assertApplied(store.apply(epoch(source, 300, Write.upsert(ads, "k1", doc("d")))));
      // A version below the collection's write mark takes the checked script, which went with the
      // restart's script cache: it is loaded again.
      assertApplied(store.apply(epoch(fresh("other"), 250, Write.upsert(ads, "k9", doc("e")))));
      assertThat(title(store.get(ads, "k9", Version.of(250)))).isEqualTo("e");
      assertThat(title(store.get(ads, "k1", Version.of(300)))).isEqualTo("d");
      assertThat(store.get(ads, "k1", Version.of(299))).isEqualTo(Lookup.miss());
      assertThat(store.get(ads, "k2", Version.of(300))).isEqualTo(Lookup.miss());
      assertThat(store.watermark().get(source)).contains(Version.of(300));

      // Redis holds the watermark again, so a new instance starts from it.
      try (RedisStore next = RedisStore.open(config(own.redis()))) {
        assertThat(next.watermark().get(source)).contains(Version.of(300));
        assertThat(next.apply(epoch(source, 300, Write.upsert(ads, "k1", doc("d")))).results())
            .extracting(WriteResult::outcome)
            .containsOnly(WriteOutcome.ALREADY_APPLIED);
      }
    }
  }

  @Test
  void unreachableRedisMakesWritesRetryableAndReadsUnavailableNamingStoreAndAddress() {
    try (Devstack own = Devstack.builder().stores(StoreKind.REDIS).start();
        RedisStore store = RedisStore.open(config(own.redis()))) {
      String source = fresh("src");
      String ads = fresh("ads");
      assertApplied(store.apply(epoch(source, 10, Write.upsert(ads, "k", doc("a")))));
      String address = own.redis().host() + ":" + own.redis().port();

      own.store(StoreKind.REDIS).stop();
      ApplyResult down = store.apply(epoch(source, 20, Write.upsert(ads, "k", doc("b"))));
      assertThat(down.results())
          .extracting(WriteResult::outcome)
          .containsOnly(WriteOutcome.RETRYABLE);
      assertThat(down.results().get(0).reason()).contains(address).contains("'cache'");
      assertThat(store.watermark().get(source)).contains(Version.of(10));
      assertThatThrownBy(() -> store.get(ads, "k", Version.of(10)))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining(address)
          .hasMessageContaining("'cache'");
      assertThatThrownBy(() -> store.purge(ads, Version.of(10)))
          .isInstanceOf(StoreUnavailableException.class);

      own.store(StoreKind.REDIS).start();
      assertApplied(store.apply(epoch(source, 20, Write.upsert(ads, "k", doc("b")))));
      assertThat(title(store.get(ads, "k", Version.of(20)))).isEqualTo("b");
    }
  }

  /** Distinct LSNs above 2^53 share a double; member bytes keep them apart. */
  @Test
  void versionsAboveTwoToThe53AreKeptExact() {
    try (RedisStore store = RedisStore.open(config(shared()))) {
      String source = fresh("src");
      String ads = fresh("ads");
      long base = 1L << 53;
      assertThat((double) (base + 1)).isEqualTo((double) base); // the trap
      for (long i = 0; i < 4; i++) {
        assertApplied(store.apply(epoch(source, base + i, Write.upsert(ads, "k", doc("v" + i)))));
      }
      long top = 0xFFFF_FFFF_FFFF_FF00L;
      assertApplied(store.apply(epoch(source, top, Write.upsert(ads, "k", doc("top")))));
      for (long i = 0; i < 4; i++) {
        Lookup at = store.get(ads, "k", Version.of(base + i));
        assertThat(title(at)).isEqualTo("v" + i);
        assertThat(at.entry().orElseThrow().range().from()).isEqualTo(Version.of(base + i));
        assertThat(at.entry().orElseThrow().range().to())
            .isEqualTo(Version.of(i < 3 ? base + i + 1 : top));
      }
      assertThat(store.get(ads, "k", Version.of(base - 1))).isEqualTo(Lookup.miss());
      assertThat(title(store.get(ads, "k", Version.of(-2L)))).isEqualTo("top");
    }
  }

  /**
   * An older version arriving after a newer one (another source's lane, or a replay the watermark
   * did not catch) is not inserted: reads between them miss instead of seeing the older value.
   */
  @Test
  void olderVersionAfterANewerOneIsNotInserted() {
    try (RedisStore store = RedisStore.open(config(shared()))) {
      String ads = fresh("ads");
      assertApplied(store.apply(epoch(fresh("a"), 500, Write.upsert(ads, "k", doc("new")))));
      ApplyResult late = store.apply(epoch(fresh("b"), 300, Write.upsert(ads, "k", doc("old"))));
      assertThat(late.results().get(0).outcome()).isEqualTo(WriteOutcome.ALREADY_APPLIED);
      assertThat(store.get(ads, "k", Version.of(400))).isEqualTo(Lookup.miss());
      assertThat(title(store.get(ads, "k", Version.of(500)))).isEqualTo("new");
    }
  }

  /**
   * A previous instance wrote a newer version, then stopped before Redis held its watermark (here:
   * the watermark key is gone). A new instance replays older epochs: the collection's write mark
   * sends them through the checked script, so no older version lands below the newer one (a read
   * between them would see the older value while the version in between is missing).
   */
  @Test
  void replayBelowAPreviousWritersMarkIsNotInsertedUnderNewerVersions() {
    RedisInfo info = shared();
    String source = fresh("src");
    String ads = fresh("ads");
    try (RedisStore first = RedisStore.open(config(info))) {
      assertApplied(first.apply(epoch(source, 300, Write.upsert(ads, "k", doc("c")))));
    }
    try (Jedis jedis = new Jedis(info.host(), info.port())) {
      jedis.del(RedisLayout.watermarkKey(source));
    }
    try (RedisStore next = RedisStore.open(config(info))) {
      assertThat(next.watermark().get(source)).isEmpty();
      ApplyResult replay = next.apply(epoch(source, 100, Write.upsert(ads, "k", doc("a"))));
      assertThat(replay.results())
          .extracting(WriteResult::outcome)
          .containsOnly(WriteOutcome.ALREADY_APPLIED);
      assertThat(next.get(ads, "k", Version.of(250))).isEqualTo(Lookup.miss());
      assertThat(next.get(ads, "k", Version.of(100))).isEqualTo(Lookup.miss());
      // A key without newer versions takes the older one: nothing is above it to be missing.
      assertApplied(next.apply(epoch(source, 200, Write.upsert(ads, "fresh", doc("b")))));
      assertThat(title(next.get(ads, "fresh", Version.of(250)))).isEqualTo("b");
      // From the mark on, writes are plain again.
      assertApplied(next.apply(epoch(source, 400, Write.upsert(ads, "k", doc("d")))));
      assertThat(title(next.get(ads, "k", Version.of(350)))).isEqualTo("c");
      assertThat(title(next.get(ads, "k", Version.of(400)))).isEqualTo("d");
    }
  }

  @Test
  void purgeTrimsBelowTheHorizonKeepingTheVisibleEntry() {
    RedisInfo info = shared();
    try (RedisStore store = RedisStore.open(config(info));
        Jedis jedis = new Jedis(info.host(), info.port())) {
      String source = fresh("src");
      String ads = fresh("ads");
      for (long v = 10; v <= 50; v += 10) {
        assertApplied(
            store.apply(
                epoch(
                    source,
                    v,
                    Write.upsert(ads, "k", doc("k" + v)),
                    Write.upsert(ads, "other key " + v, doc("o" + v)))));
      }
      byte[] key = RedisLayout.dataKey(ads, "k");
      assertThat(jedis.zcard(key)).isEqualTo(5);

      // Horizon 35: [10,20) and [20,30) are unreadable from it on; [30,40) is visible at it.
      assertThat(store.purge(ads, Version.of(35))).isEqualTo(2);
      assertThat(jedis.zcard(key)).isEqualTo(3);
      assertThat(store.get(ads, "k", Version.of(29))).isEqualTo(Lookup.miss());
      assertThat(title(store.get(ads, "k", Version.of(35)))).isEqualTo("k30");
      assertThat(title(store.get(ads, "other key 10", Version.of(35)))).isEqualTo("o10");
      assertThat(store.purge(ads, Version.of(35))).isZero();

      // Writes only add; the next purge trims what they superseded.
      assertThat(store.purge(ads, Version.of(45))).isEqualTo(1);
      assertApplied(store.apply(epoch(source, 60, Write.upsert(ads, "k", doc("k60")))));
      assertThat(jedis.zcard(key)).isEqualTo(3); // 40, 50, 60
      assertThat(title(store.get(ads, "k", Version.of(45)))).isEqualTo("k40");
      assertThat(store.purge(ads, Version.of(55))).isEqualTo(1);
      assertThat(jedis.zcard(key)).isEqualTo(2); // 50, 60
      assertThat(title(store.get(ads, "k", Version.of(55)))).isEqualTo("k50");
      assertThat(title(store.get(ads, "k", Version.of(60)))).isEqualTo("k60");
      assertThat(store.purge(fresh("never"), Version.of(45))).isZero();
    }
  }

  @Test
  void purgeKeepsAtMostMaxVersionsPerKeyDroppingTheOldest() {
    RedisInfo info = shared();
    try (RedisStore store = RedisStore.open(config(info).withMaxVersionsPerKey(3));
        Jedis jedis = new Jedis(info.host(), info.port())) {
      String source = fresh("src");
      String ads = fresh("ads");
      for (long v = 1; v <= 6; v++) {
        assertApplied(store.apply(epoch(source, v, Write.upsert(ads, "k", doc("v" + v)))));
      }
      assertThat(jedis.zcard(RedisLayout.dataKey(ads, "k"))).isEqualTo(6); // writes only add
      // A horizon below every version keeps them all readable; the cap drops the oldest three.
      assertThat(store.purge(ads, Version.of(1))).isEqualTo(3);
      assertThat(jedis.zcard(RedisLayout.dataKey(ads, "k"))).isEqualTo(3);
      assertThat(store.get(ads, "k", Version.of(3))).isEqualTo(Lookup.miss());
      assertThat(title(store.get(ads, "k", Version.of(4)))).isEqualTo("v4");
    }
  }

  @Test
  void aKeyHoldingSomethingElseFailsOnlyItsWriteNamingTheProblem() {
    RedisInfo info = shared();
    try (RedisStore store = RedisStore.open(config(info));
        Jedis jedis = new Jedis(info.host(), info.port())) {
      String source = fresh("src");
      String ads = fresh("ads");
      jedis.set(RedisLayout.dataKey(ads, "taken"), "not ours".getBytes(StandardCharsets.UTF_8));
      ApplyResult result =
          store.apply(
              epoch(
                  source,
                  10,
                  Write.upsert(ads, "before", doc("b")),
                  Write.upsert(ads, "taken", doc("t")),
                  Write.upsert(ads, "after", doc("a"))));
      assertThat(result.results())
          .extracting(WriteResult::outcome)
          .containsExactly(WriteOutcome.APPLIED, WriteOutcome.FATAL, WriteOutcome.APPLIED);
      assertThat(result.results().get(1).reason()).contains("WRONGTYPE").contains("taken");
      assertThat(store.watermark().get(source)).isEmpty();
      assertThat(store.get(ads, "taken", Version.of(10))).isEqualTo(Lookup.miss());
      assertThat(title(store.get(ads, "after", Version.of(10)))).isEqualTo("a");
    }
  }

  @Test
  void rejectsCollectionNamesThatWouldCollideAsFatal() {
    try (RedisStore store = RedisStore.open(config(shared()))) {
      ApplyResult result = store.apply(epoch(fresh("src"), 10, Write.upsert("a:b", "k", doc("x"))));
      assertThat(result.results().get(0).outcome()).isEqualTo(WriteOutcome.FATAL);
      assertThat(result.results().get(0).reason()).contains("'a:b'");
    }
  }

  @Test
  void largeEpochsSpanSeveralScriptCalls() {
    try (RedisStore store = RedisStore.open(config(shared()))) {
      String source = fresh("src");
      String ads = fresh("ads");
      Epoch.Builder builder = Epoch.builder(source);
      for (int i = 0; i < 1000; i++) {
        builder.add(Write.upsert(ads, "key " + i, doc("t" + i)));
      }
      assertApplied(store.apply(builder.build(Version.of(77))));
      for (int i = 0; i < 1000; i += 37) {
        assertThat(title(store.get(ads, "key " + i, Version.of(77)))).isEqualTo("t" + i);
      }
      assertThat(title(store.get(ads, "key 999", Version.of(77)))).isEqualTo("t999");
    }
  }
}
