package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.coordinator.CoordinatorTest.RecordingWriter;
import io.tidemark.coordinator.CoordinatorTest.ScriptedSource;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.StoreWriter;
import io.tidemark.protocol.store.WriteOutcome;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store marked {@code migration: pending} (being built by {@code tidemark migrate backfill}) is
 * not written, and the source is acknowledged no further than its watermark, so that attaching it
 * later replays every change it lacks.
 */
class PendingStoreTest {

  @TempDir Path stateDir;

  @Test
  void thePendingStoreIsNotWrittenAndCapsWhatTheSourceIsAcknowledged() throws Exception {
    TidemarkConfig config = pendingConfig();
    assertThat(config.stores().get("c").migration()).isEqualTo(TidemarkConfig.Migration.PENDING);
    // The source committed offsets before (its first snapshot was acknowledged long ago).
    java.nio.file.Files.createDirectories(stateDir.resolve("src"));
    java.nio.file.Files.writeString(stateDir.resolve("src").resolve("offsets.dat"), "offsets");
    Map<String, StoreWriter> writers = new ConcurrentHashMap<>();
    PendingWriter pending = new PendingWriter();
    writers.put("c", pending);
    ScriptedSource source = new ScriptedSource();
    try (Coordinator coordinator =
        Coordinator.start(
            config,
            s -> writers.computeIfAbsent(s.name(), n -> new RecordingWriter()),
            state -> source,
            Clock.systemUTC())) {
      source.commit(10, 1);
      source.commit(20, 2);
      source.commit(30, 3);
      await(() -> coordinator.frontier().equals(Stamp.of("src", Version.of(30))), "frontier 30");
      assertThat(coordinator.stores()).containsOnlyKeys("a", "b");
      // The pending store has no watermark yet: nothing may be acknowledged.
      int reads = pending.reads.get();
      await(() -> pending.reads.get() > reads, "the pending store's watermark is read again");
      assertThat(source.acknowledged).isEmpty();

      pending.watermark = Stamp.of("src", Version.of(20));
      await(() -> source.acknowledged.contains(Version.of(20)), "acknowledged up to 20");
      assertThat(source.acknowledged)
          .allSatisfy(v -> assertThat(v.asLong()).isLessThanOrEqualTo(20));

      pending.watermark = Stamp.of("src", Version.of(40));
      await(() -> source.acknowledged.contains(Version.of(30)), "acknowledged up to the frontier");
      assertThat(source.acknowledged)
          .allSatisfy(v -> assertThat(v.asLong()).isLessThanOrEqualTo(30));
      assertThat(pending.applied.get()).as("the pending store is never written").isZero();
    }
  }

  @Test
  void beforeTheSourceHasOffsetsNothingIsHeldBack() throws Exception {
    // Without committed offsets a restart would take the first snapshot again at a new version;
    // a store attached then would keep rows deleted in between. A backfill waits for them.
    ScriptedSource source = new ScriptedSource();
    PendingWriter pending = new PendingWriter();
    try (Coordinator coordinator =
        Coordinator.start(
            pendingConfig(),
            s -> s.name().equals("c") ? pending : new RecordingWriter(),
            state -> source,
            Clock.systemUTC())) {
      source.commit(10, 1);
      await(() -> source.acknowledged.contains(Version.of(10)), "acknowledged 10");
      assertThat(pending.applied.get()).isZero();
    }
  }

  @Test
  void anUnknownMigrationStateIsRefusedNamingTheValidOnes() {
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    """
                    source: {name: src, jdbcUrl: "jdbc:postgresql://x/y", user: u}
                    stores:
                      b: {kind: postgres, jdbcUrl: "jdbc:postgresql://x/y", user: u, migration: soon}
                    collections:
                      ads: {table: public.ads, stores: {b: {}}}
                    """,
                    "test",
                    name -> null))
        .hasMessageContaining("stores.b.migration: 'soon' is not one of [none, pending, attached]");
  }

  private TidemarkConfig pendingConfig() {
    return ConfigLoader.parse(
        """
            source: {name: src, jdbcUrl: "jdbc:postgresql://x/y", user: u}
            stores:
              a: {kind: redis, address: "x:1"}
              b: {kind: postgres, jdbcUrl: "jdbc:postgresql://x/y", user: u}
              c: {kind: postgres, jdbcUrl: "jdbc:postgresql://x/z", user: u, migration: pending}
            collections:
              ads: {table: public.ads, stores: {a: {}, b: {}, c: {}}}
            epochs: {maxDuration: 1ms, maxChanges: 1}
            lanes: {retryInitial: 10ms, retryMax: 20ms, visibilityInterval: 1ms}
            stateDir: "%s"
            """
            .formatted(stateDir),
        "test",
        name -> null);
  }

  /** A pending store: counts watermark reads; should never be written. */
  private static final class PendingWriter implements StoreWriter {
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger applied = new AtomicInteger();
    volatile Stamp watermark = Stamp.empty();

    @Override
    public ApplyResult apply(Epoch epoch) {
      applied.incrementAndGet();
      return ApplyResult.all(epoch, WriteOutcome.APPLIED, "");
    }

    @Override
    public Stamp makeVisible() {
      return watermark;
    }

    @Override
    public Stamp watermark() {
      reads.incrementAndGet();
      return watermark;
    }

    @Override
    public long purge(String collection, Version horizon) {
      return 0;
    }

    @Override
    public void close() {}
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(5);
    }
  }
}
