package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.protocol.Change;
import io.tidemark.protocol.Change.Operation;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.StoreWriter;
import io.tidemark.protocol.store.WriteOutcome;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's bookkeeping with a scripted source and in-memory writers (unit tier: the real stores
 * are exercised by the integration tests).
 */
class CoordinatorTest {

  @TempDir Path stateDir;

  /** Records applied epochs; can be told to fail. */
  static final class RecordingWriter implements StoreWriter {
    final List<Epoch> applied = new CopyOnWriteArrayList<>();
    volatile boolean failing;
    volatile boolean unreachable;
    volatile Stamp watermark = Stamp.empty();
    volatile Version last;

    /** What happened to the store, in order: "apply <version>" and "clear <collection>". */
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public ApplyResult apply(Epoch epoch) {
      if (failing) {
        return ApplyResult.all(epoch, WriteOutcome.RETRYABLE, "connection refused");
      }
      events.add("apply " + epoch.version());
      applied.add(epoch);
      last = epoch.version();
      return ApplyResult.all(epoch, WriteOutcome.APPLIED, "");
    }

    @Override
    public Stamp makeVisible() {
      if (last != null) {
        watermark = Stamp.of("src", last);
      }
      return watermark;
    }

    @Override
    public Stamp watermark() {
      if (unreachable) {
        throw new io.tidemark.protocol.store.StoreUnavailableException(
            "b", "connection refused", null);
      }
      return watermark;
    }

    @Override
    public long purge(String collection, Version horizon) {
      return 0;
    }

    @Override
    public void clear(String collection) {
      events.add("clear " + collection);
      applied.clear();
      watermark = Stamp.empty();
      last = null;
    }

    @Override
    public void close() {}
  }

  /** A source that delivers what the test pushes and records acknowledgements. */
  static final class ScriptedSource implements ChangeSource {
    volatile Consumer<SourceTransaction> consumer;
    final List<Version> acknowledged = new CopyOnWriteArrayList<>();

    @Override
    public void start(Consumer<SourceTransaction> consumer) {
      this.consumer = consumer;
    }

    @Override
    public void acknowledge(Version version) {
      acknowledged.add(version);
    }

    @Override
    public void close() {}

    /** A chunk of the initial snapshot at {@code lsn} with these keys. */
    void snapshotChunk(long lsn, long... keys) {
      List<Change> rows = new java.util.ArrayList<>();
      for (long key : keys) {
        rows.add(
            new Change(
                "ads",
                Map.of("id", key),
                Operation.SNAPSHOT,
                null,
                Map.of("id", key, "title", "ad")));
      }
      consumer.accept(
          new SourceTransaction(
              "src", Version.of(lsn), SourceTransaction.SNAPSHOT_CHUNK_ID, Instant.now(), rows));
    }

    /** The progress event that ends the snapshot at {@code lsn}. */
    void snapshotDone(long lsn) {
      consumer.accept(
          new SourceTransaction(
              "src",
              Version.of(lsn),
              SourceTransaction.SNAPSHOT_CHUNK_ID,
              Instant.now(),
              List.of()));
    }

    void commit(long lsn, long key) {
      consumer.accept(
          new SourceTransaction(
              "src",
              Version.of(lsn),
              "t" + lsn,
              Instant.now(),
              List.of(
                  new Change(
                      "ads",
                      Map.of("id", key),
                      Operation.INSERT,
                      null,
                      Map.of("id", key, "title", "ad " + key)))));
    }
  }

  private TidemarkConfig config() {
    return config("");
  }

  private TidemarkConfig config(String lanes) {
    return ConfigLoader.parse(
        """
        source: {name: src, jdbcUrl: "jdbc:postgresql://x/y", user: u}
        stores:
          a: {kind: redis, address: "x:1"}
          b: {kind: postgres, jdbcUrl: "jdbc:postgresql://x/y", user: u}
        collections:
          ads: {table: public.ads, stores: {a: {}, b: {fields: {title: headline}}}}
        epochs: {maxDuration: 1ms, maxChanges: 1}
        lanes: {retryInitial: 10ms, retryMax: 20ms, visibilityInterval: 1ms%s}
        stateDir: "%s"
        """
            .formatted(lanes, stateDir),
        "test",
        name -> null);
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

  @Test
  void aFailingStoreHoldsTheFrontierWhileTheOtherKeepsApplying() throws Exception {
    Map<String, RecordingWriter> writers = new ConcurrentHashMap<>();
    ScriptedSource source = new ScriptedSource();
    try (Coordinator coordinator =
        Coordinator.start(
            config(),
            s -> writers.computeIfAbsent(s.name(), n -> new RecordingWriter()),
            state -> source,
            Clock.systemUTC())) {
      source.commit(10, 1);
      await(() -> coordinator.frontier().equals(Stamp.of("src", Version.of(10))), "frontier at 10");
      assertThat(writers.get("b").applied.get(0).writes().get(0).document())
          .isEqualTo(Map.of("headline", "ad 1"));

      writers.get("b").failing = true;
      source.commit(20, 2);
      source.commit(30, 3);
      await(() -> writers.get("a").applied.size() == 3, "store a applied both epochs");
      await(() -> coordinator.stores().get("b").state().equals("retrying"), "store b retrying");
      assertThat(coordinator.frontier()).isEqualTo(Stamp.of("src", Version.of(10)));
      assertThat(source.acknowledged)
          .allSatisfy(v -> assertThat(v.asLong()).isLessThanOrEqualTo(10));
      assertThat(coordinator.stores().get("b").lastError()).contains("connection refused");

      writers.get("b").failing = false;
      await(() -> coordinator.frontier().equals(Stamp.of("src", Version.of(30))), "frontier at 30");
      await(() -> source.acknowledged.contains(Version.of(30)), "source acknowledged 30");
    }
  }

  @Test
  void aRestartedCoordinatorNeverPublishesALowerFrontier() throws Exception {
    ScriptedSource source = new ScriptedSource();
    try (Coordinator coordinator =
        Coordinator.start(
            config(), s -> new RecordingWriter(), state -> source, Clock.systemUTC())) {
      source.commit(10, 1);
      await(() -> coordinator.frontier().equals(Stamp.of("src", Version.of(10))), "frontier at 10");
    }
    // The stores come back knowing nothing (e.g. caches that kept no watermark).
    ScriptedSource again = new ScriptedSource();
    try (Coordinator coordinator =
        Coordinator.start(
            config(), s -> new RecordingWriter(), state -> again, Clock.systemUTC())) {
      assertThat(coordinator.frontier()).isEqualTo(Stamp.of("src", Version.of(10)));
      again.commit(20, 2);
      await(() -> coordinator.frontier().equals(Stamp.of("src", Version.of(20))), "frontier at 20");
    }
  }

  @Test
  void aStoreFailingPastTheLimitIsDetachedAndStaysDetachedAfterARestart() throws Exception {
    Map<String, RecordingWriter> writers = new ConcurrentHashMap<>();
    ScriptedSource source = new ScriptedSource();
    TidemarkConfig config = config(", detachAfter: 200ms");
    try (Coordinator coordinator =
        Coordinator.start(
            config,
            s -> writers.computeIfAbsent(s.name(), n -> new RecordingWriter()),
            state -> source,
            Clock.systemUTC())) {
      source.commit(10, 1);
      await(() -> coordinator.frontier().equals(Stamp.of("src", Version.of(10))), "frontier at 10");
      writers.get("b").failing = true;
      source.commit(20, 2);
      await(() -> coordinator.detachedStores().contains("b"), "store b detached");
      await(
          () -> coordinator.frontier().equals(Stamp.of("src", Version.of(20))),
          "frontier at 20 without b");
      assertThat(coordinator.stores().get("b").state()).isEqualTo("detached");
    }
    ScriptedSource again = new ScriptedSource();
    try (Coordinator coordinator =
        Coordinator.start(config, s -> new RecordingWriter(), state -> again, Clock.systemUTC())) {
      assertThat(coordinator.detachedStores()).containsExactly("b");
      again.commit(30, 3);
      await(() -> coordinator.frontier().equals(Stamp.of("src", Version.of(30))), "frontier at 30");
    }
  }

  @Test
  void aStoreUnreachableAtStartDoesNotHoldUpTheOthers() throws Exception {
    Map<String, RecordingWriter> writers = new ConcurrentHashMap<>();
    RecordingWriter b = new RecordingWriter();
    b.unreachable = true;
    writers.put("b", b);
    ScriptedSource source = new ScriptedSource();
    try (Coordinator coordinator =
        Coordinator.start(
            config(),
            s -> writers.computeIfAbsent(s.name(), n -> new RecordingWriter()),
            state -> source,
            Clock.systemUTC())) {
      source.commit(10, 1);
      await(() -> writers.get("a").applied.size() == 1, "store a applied the epoch");
      assertThat(coordinator.frontier()).isEqualTo(Stamp.empty());
      b.unreachable = false;
      await(() -> coordinator.frontier().equals(Stamp.of("src", Version.of(10))), "frontier at 10");
    }
  }

  @Test
  void anInterruptedFirstSnapshotIsClearedFromEveryStoreBeforeItIsTakenAgain() throws Exception {
    ScriptedSource first = new ScriptedSource();
    Map<String, RecordingWriter> before = new ConcurrentHashMap<>();
    try (Coordinator coordinator =
        Coordinator.start(
            config(),
            s -> before.computeIfAbsent(s.name(), n -> new RecordingWriter()),
            state -> first,
            Clock.systemUTC())) {
      first.snapshotChunk(100, 1, 2);
      await(
          () -> before.values().stream().allMatch(w -> w.applied.size() == 1),
          "both stores wrote the first chunk");
      assertThat(before.get("a").applied.get(0).partial()).isTrue();
    } // interrupted: the snapshot never ended, no frontier covers it

    Map<String, RecordingWriter> after = new ConcurrentHashMap<>();
    ScriptedSource second = new ScriptedSource();
    try (Coordinator coordinator =
        Coordinator.start(
            config(),
            s -> after.computeIfAbsent(s.name(), n -> new RecordingWriter()),
            state -> second,
            Clock.systemUTC())) {
      second.snapshotChunk(200, 1); // row 2 was deleted in between
      second.snapshotDone(200);
      await(
          () -> coordinator.frontier().equals(Stamp.of("src", Version.of(200))), "frontier at 200");
      for (RecordingWriter store : after.values()) {
        assertThat(store.events)
            .as("cleared before anything of the new snapshot is written")
            .startsWith("clear ads", "apply " + Version.of(200));
      }
    }

    Map<String, RecordingWriter> later = new ConcurrentHashMap<>();
    ScriptedSource third = new ScriptedSource();
    try (Coordinator coordinator =
        Coordinator.start(
            config(),
            s -> later.computeIfAbsent(s.name(), n -> new RecordingWriter()),
            state -> third,
            Clock.systemUTC())) {
      third.commit(300, 3);
      await(
          () -> coordinator.frontier().equals(Stamp.of("src", Version.of(300))), "frontier at 300");
      assertThat(later.values())
          .as("a completed first snapshot is never cleared again")
          .allSatisfy(store -> assertThat(store.events).noneMatch(e -> e.startsWith("clear")));
    }
  }
}
