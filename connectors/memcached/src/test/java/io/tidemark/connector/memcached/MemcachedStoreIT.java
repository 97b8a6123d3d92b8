package io.tidemark.connector.memcached;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.MemcachedInfo;
import io.tidemark.devstack.StoreKind;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreUnavailableException;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteOutcome;
import io.tidemark.protocol.store.WriteResult;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.Test;

/** What the contract suite does not cover: losing data, outages, item sizes, keys, contention. */
class MemcachedStoreIT {

  private static MemcachedInfo shared() {
    return Devstack.shared(StoreKind.MEMCACHED).memcached();
  }

  private static MemcachedStoreConfig config(MemcachedInfo info) {
    return MemcachedStoreConfig.of("cache", info.address()).withTimeout(Duration.ofSeconds(1));
  }

  private static MemcachedClient rawClient(MemcachedInfo info) throws Exception {
    return new MemcachedClient(new InetSocketAddress(info.host(), info.port()));
  }

  private static String fresh(String prefix) {
    return String.format(
        Locale.ROOT, "%s_%08x", prefix, ThreadLocalRandom.current().nextInt() & 0x7fffffff);
  }

  private static Map<String, Object> doc(String title) {
    return Map.of("title", title);
  }

  private static Map<String, Object> sized(String title, int bytes) {
    return Map.of("title", title, "body", "x".repeat(bytes));
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

  /** Applies until every write succeeds (the client reconnects in the background), or fails. */
  private static ApplyResult applyWithin(MemcachedStore store, Epoch epoch, Duration limit)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    ApplyResult result = store.apply(epoch);
    while (!result.succeeded() && System.nanoTime() < deadline) {
      Thread.sleep(50); // poll interval, not a guess at when it is ready
      result = store.apply(epoch);
    }
    return result;
  }

  @Test
  void flushAllMakesEveryReadAMissNeverAWrongAnswerAndNewEpochsApply() throws Exception {
    try (Devstack own = Devstack.builder().stores(StoreKind.MEMCACHED).start();
        MemcachedStore store = MemcachedStore.open(config(own.memcached()))) {
      String source = fresh("src");
      String ads = fresh("ads");
      assertApplied(store.apply(epoch(source, 100, Write.upsert(ads, "k1", doc("a")))));
      assertApplied(
          store.apply(
              epoch(source, 200, Write.upsert(ads, "k1", doc("b")), Write.delete(ads, "k2"))));
      assertThat(title(store.get(ads, "k1", Version.of(150)))).isEqualTo("a");
      assertThat(store.get(ads, "k2", Version.of(200))).isEqualTo(Lookup.absent());

      MemcachedClient raw = rawClient(own.memcached());
      try {
        assertThat(raw.flush().get(5, TimeUnit.SECONDS)).isTrue();
      } finally {
        raw.shutdown();
      }
      for (long at : new long[] {100, 150, 200, 250}) {
        assertThat(store.get(ads, "k1", Version.of(at)))
            .as("k1 at %d", at)
            .isEqualTo(Lookup.miss());
        assertThat(store.get(ads, "k2", Version.of(at)))
            .as("k2 at %d", at)
            .isEqualTo(Lookup.miss());
      }
      assertThat(store.latest(ads, "k1")).isEqualTo(Lookup.miss());
      assertThat(store.watermark().get(source)).contains(Version.of(200));

      // The new list starts at 300: it claims nothing about older snapshots.
      assertApplied(store.apply(epoch(source, 300, Write.upsert(ads, "k1", doc("c")))));
      assertThat(title(store.get(ads, "k1", Version.of(300)))).isEqualTo("c");
      assertThat(store.get(ads, "k1", Version.of(299))).isEqualTo(Lookup.miss());
      assertThat(store.get(ads, "k2", Version.of(300))).isEqualTo(Lookup.miss());
      assertThat(store.watermark().get(source)).contains(Version.of(300));

      // A new instance starts from the mirrored watermark item.
      try (MemcachedStore next = MemcachedStore.open(config(own.memcached()))) {
        assertThat(next.apply(epoch(source, 300, Write.upsert(ads, "k1", doc("c")))).results())
            .extracting(WriteResult::outcome)
            .containsOnly(WriteOutcome.ALREADY_APPLIED);
        assertThat(next.watermark().get(source)).contains(Version.of(300));
      }
    }
  }

  @Test
  void restartedMemcachedIsAllMissesAndDownMemcachedIsRetryableNamingStoreAndAddress()
      throws Exception {
    try (Devstack own = Devstack.builder().stores(StoreKind.MEMCACHED).start();
        MemcachedStore store = MemcachedStore.open(config(own.memcached()))) {
      String source = fresh("src");
      String ads = fresh("ads");
      String address = own.memcached().address();
      assertApplied(store.apply(epoch(source, 10, Write.upsert(ads, "k", doc("a")))));

      own.store(StoreKind.MEMCACHED).stop();
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

      own.store(StoreKind.MEMCACHED).start(); // comes back empty
      assertApplied(
          applyWithin(
              store, epoch(source, 20, Write.upsert(ads, "k", doc("b"))), Duration.ofSeconds(60)));
      assertThat(title(store.get(ads, "k", Version.of(20)))).isEqualTo("b");
      assertThat(store.get(ads, "k", Version.of(15))).isEqualTo(Lookup.miss());
    }
  }

  @Test
  void valuesOfAboutOneMegabyteRoundTripAndTooLargeOnesMissWithoutStoppingTheLane()
      throws Exception {
    try (MemcachedStore store = MemcachedStore.open(config(shared()))) {
      String source = fresh("src");
      String big = fresh("big");
      int max = store.maxValueBytes();
      assertThat(max).as("item_size_max of -I 2m less overhead").isGreaterThan(2_000_000);

      int megabyte = 1_000_000;
      assertApplied(store.apply(epoch(source, 10, Write.upsert(big, "k", sized("one", megabyte)))));
      Lookup one = store.get(big, "k", Version.of(10));
      assertThat(title(one)).isEqualTo("one");
      assertThat((String) one.document().orElseThrow().get("body")).hasSize(megabyte);

      // Two 1 MB versions fit in an item of 2 MiB; a third pushes the oldest out.
      assertApplied(store.apply(epoch(source, 20, Write.upsert(big, "k", sized("two", megabyte)))));
      assertThat(title(store.get(big, "k", Version.of(10)))).isEqualTo("one");
      assertApplied(
          store.apply(epoch(source, 30, Write.upsert(big, "k", sized("three", megabyte)))));
      assertThat(store.get(big, "k", Version.of(10))).isEqualTo(Lookup.miss());
      assertThat(title(store.get(big, "k", Version.of(20)))).isEqualTo("two");
      assertThat(title(store.get(big, "k", Version.of(30)))).isEqualTo("three");

      // Larger than any item: recorded as not cached. Reads at it miss; before it, still right.
      assertApplied(store.apply(epoch(source, 40, Write.upsert(big, "k", sized("huge", 3 << 20)))));
      assertThat(store.get(big, "k", Version.of(40))).isEqualTo(Lookup.miss());
      assertThat(store.latest(big, "k")).isEqualTo(Lookup.miss());
      assertApplied(store.apply(epoch(source, 50, Write.upsert(big, "k", doc("small")))));
      assertThat(title(store.get(big, "k", Version.of(50)))).isEqualTo("small");
      assertThat(store.get(big, "k", Version.of(45))).isEqualTo(Lookup.miss());
    }
  }

  /** The margin under item_size_max holds for the longest key memcached takes. */
  @Test
  void aValueOfTheComputedMaximumIsAcceptedUnderTheLongestKey() throws Exception {
    MemcachedInfo info = shared();
    try (MemcachedStore store = MemcachedStore.open(config(info))) {
      MemcachedClient raw = rawClient(info);
      try {
        String key = fresh("k") + "x".repeat(MemcachedLayout.MAX_KEY_BYTES - 10);
        assertThat(key).hasSize(MemcachedLayout.MAX_KEY_BYTES);
        byte[] value = new byte[store.maxValueBytes()];
        assertThat(raw.set(key, 0, value, RawTranscoder.INSTANCE).get(10, TimeUnit.SECONDS))
            .isTrue();
        assertThat(raw.get(key, RawTranscoder.INSTANCE)).hasSize(value.length);
        raw.delete(key).get(10, TimeUnit.SECONDS);
      } finally {
        raw.shutdown();
      }
    }
  }

  @Test
  void awkwardKeysGetDigestNamesAndStillReadBack() throws Exception {
    MemcachedInfo info = shared();
    try (MemcachedStore store = MemcachedStore.open(config(info).withMaxVersionsPerKey(2))) {
      String source = fresh("src");
      String ads = fresh("ads");
      String colonCollection = fresh("a:b");
      List<String> keys =
          List.of("plain", "with space", "ключ-🔑", "x".repeat(300), "a/b@c:d", "tab\there");
      Epoch.Builder builder = Epoch.builder(source);
      for (String key : keys) {
        builder.add(Write.upsert(ads, key, doc(key)));
      }
      builder.add(Write.upsert(colonCollection, "c", doc("colon collection")));
      assertApplied(store.apply(builder.build(Version.of(10))));
      for (String key : keys) {
        assertThat(title(store.get(ads, key, Version.of(10)))).isEqualTo(key);
      }
      assertThat(title(store.latest(colonCollection, "c"))).isEqualTo("colon collection");

      MemcachedClient raw = rawClient(info);
      try {
        assertThat(raw.get("tm:" + ads + ":plain", RawTranscoder.INSTANCE)).isNotNull();
        assertThat(MemcachedLayout.cacheKey(ads, "with space")).startsWith("tmh:");
        assertThat(raw.get(MemcachedLayout.cacheKey(ads, "with space"), RawTranscoder.INSTANCE))
            .isNotNull();
        // Something else at our key: a miss, then replaced by the next write.
        raw.set("tm:" + ads + ":plain", 0, new byte[] {42}, RawTranscoder.INSTANCE)
            .get(5, TimeUnit.SECONDS);
      } finally {
        raw.shutdown();
      }
      assertThat(store.get(ads, "plain", Version.of(10))).isEqualTo(Lookup.miss());
      // The writer appends to what it believes is its list: still a miss, never a wrong answer.
      assertApplied(store.apply(epoch(source, 20, Write.upsert(ads, "plain", doc("again")))));
      assertThat(store.get(ads, "plain", Version.of(20))).isEqualTo(Lookup.miss());
      // The list would pass maxVersionsPerKey (2): it is read and rewritten, which replaces it.
      assertApplied(store.apply(epoch(source, 30, Write.upsert(ads, "plain", doc("third")))));
      assertThat(title(store.get(ads, "plain", Version.of(30)))).isEqualTo("third");
      assertThat(store.get(ads, "plain", Version.of(29))).isEqualTo(Lookup.miss());
    }
  }

  /**
   * Two writers on the same keys (two sources' lanes) race between gets and cas: every write still
   * succeeds, and every read answers a version's own document or misses.
   */
  @Test
  void concurrentWritersOnTheSameKeysNeverCorruptALists() throws Exception {
    MemcachedInfo info = shared();
    String ads = fresh("ads");
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      keys.add("key-" + i);
    }
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    try (MemcachedStore a = MemcachedStore.open(config(info));
        MemcachedStore b = MemcachedStore.open(config(info));
        MemcachedStore reader = MemcachedStore.open(config(info))) {
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        MemcachedStore store = w == 0 ? a : b;
        String source = fresh("src" + w);
        long offset = w;
        threads.add(
            new Thread(
                () -> {
                  try {
                    for (long round = 1; round <= 50; round++) {
                      long version = round * 10 + offset;
                      Epoch.Builder builder = Epoch.builder(source);
                      for (String key : keys) {
                        builder.add(Write.upsert(ads, key, doc("v" + version)));
                      }
                      ApplyResult result = store.apply(builder.build(Version.of(version)));
                      assertThat(result.succeeded()).as("%s", result.failures()).isTrue();
                    }
                  } catch (Throwable t) {
                    failures.add(t);
                  }
                }));
      }
      threads.forEach(Thread::start);
      for (Thread thread : threads) {
        thread.join(TimeUnit.MINUTES.toMillis(2));
      }
      assertThat(failures).isEmpty();
      int found = 0;
      for (String key : keys) {
        for (long at = 10; at <= 512; at++) {
          Lookup lookup = reader.get(ads, key, Version.of(at));
          if (lookup.isFound()) {
            found++;
            long from = lookup.version().orElseThrow().asLong();
            assertThat(title(lookup)).isEqualTo("v" + from);
            assertThat(from).isLessThanOrEqualTo(at);
          } else {
            assertThat(lookup.isMiss()).as("%s at %d: %s", key, at, lookup).isTrue();
          }
        }
      }
      assertThat(found).isPositive();
    }
  }
}
