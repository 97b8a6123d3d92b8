package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.protocol.Change;
import io.tidemark.protocol.Change.Operation;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Write;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpochCutterTest {

  @TempDir Path dir;
  private final AtomicLong nanos = new AtomicLong();
  private final AtomicBoolean busy = new AtomicBoolean();
  private final List<CutEpoch> out = new ArrayList<>();

  private EpochCutter cutter(EpochLog log, int maxChanges) {
    return new EpochCutter(
        "src", maxChanges, Duration.ofMillis(10), nanos::get, busy::get, log, out::add);
  }

  private static SourceTransaction tx(long lsn, long... keys) {
    List<Change> changes = new ArrayList<>();
    for (long k : keys) {
      changes.add(
          new Change("ads", Map.of("id", k), Operation.UPDATE, null, Map.of("id", k, "v", lsn)));
    }
    return new SourceTransaction(
        "src", Version.of(lsn), "tx" + lsn, Instant.ofEpochSecond(lsn), changes);
  }

  private List<Long> versions() {
    return out.stream().map(c -> c.epoch().version().asLong()).toList();
  }

  @Test
  void closesBySizeAndKeepsOnlyTheLastWriteOfEachKey() {
    EpochCutter cutter = cutter(EpochLog.open(dir.resolve("log")), 4);
    cutter.accept(tx(10, 1, 2));
    cutter.accept(tx(20, 1));
    assertThat(out).isEmpty();
    cutter.accept(tx(30, 1)); // 4 changes
    assertThat(versions()).containsExactly(30L);
    List<Write> writes = out.get(0).epoch().writes();
    assertThat(writes).extracting(Write::key).containsExactly("1", "2");
    assertThat(writes.get(0).document()).containsEntry("v", 30L);
    assertThat(out.get(0).epoch().sourceChanges()).isEqualTo(4);
    assertThat(out.get(0).transactions()).isEqualTo(3);
  }

  @Test
  void closesByTimeOnTick() {
    EpochCutter cutter = cutter(EpochLog.open(dir.resolve("log")), 1000);
    cutter.accept(tx(10, 1));
    cutter.tick();
    assertThat(out).isEmpty();
    nanos.addAndGet(Duration.ofMillis(10).toNanos());
    cutter.tick();
    assertThat(versions()).containsExactly(10L);
  }

  @Test
  void aDueEpochGrowsWhileLanesAreBusyUntilTheyAreFreeOrItHitsALimit() {
    EpochCutter cutter = cutter(EpochLog.open(dir.resolve("log")), 4);
    busy.set(true);
    cutter.accept(tx(10, 1));
    nanos.addAndGet(Duration.ofMillis(10).toNanos());
    cutter.tick();
    cutter.accept(tx(20, 2));
    assertThat(out).as("due, but the lanes are busy").isEmpty();
    busy.set(false);
    cutter.tick();
    assertThat(versions()).containsExactly(20L);

    busy.set(true);
    cutter.accept(tx(30, 1, 2));
    nanos.addAndGet(Duration.ofMillis(50).toNanos());
    cutter.accept(tx(40, 3, 4));
    assertThat(versions()).as("the size limit still cuts").containsExactly(20L, 40L);

    cutter.accept(tx(50, 5));
    nanos.addAndGet(EpochCutter.BUSY_HOLD.toNanos() - 1);
    cutter.tick();
    assertThat(versions()).containsExactly(20L, 40L);
    nanos.addAndGet(1);
    cutter.tick();
    assertThat(versions()).as("held no longer than BUSY_HOLD").containsExactly(20L, 40L, 50L);
  }

  @Test
  void recordsBoundariesBeforeHandingEpochsDownstream() {
    EpochLog log = EpochLog.open(dir.resolve("log"));
    List<Integer> loggedWhenHanded = new ArrayList<>();
    EpochCutter cutter =
        new EpochCutter(
            "src",
            1,
            Duration.ofSeconds(1),
            nanos::get,
            busy::get,
            log,
            c -> loggedWhenHanded.add(log.size()));
    cutter.accept(tx(10, 1));
    cutter.accept(tx(20, 1));
    assertThat(loggedWhenHanded).containsExactly(1, 2);
  }

  @Test
  void replayIsCutAtTheRecordedBoundariesWhateverTheLimits() {
    Path file = dir.resolve("log");
    EpochLog first = EpochLog.open(file);
    EpochCutter before = cutter(first, 2);
    for (long lsn = 10; lsn <= 100; lsn += 10) {
      before.accept(tx(lsn, lsn % 3));
    }
    List<Long> originalBoundaries = versions();
    assertThat(originalBoundaries).containsExactly(20L, 40L, 60L, 80L, 100L);
    first.close();

    // Restart with other limits: the replay from 30 on must be cut exactly as before.
    out.clear();
    EpochCutter after = cutter(EpochLog.open(file), 1000);
    for (long lsn = 30; lsn <= 120; lsn += 10) {
      after.accept(tx(lsn, lsn % 3));
    }
    after.flush();
    assertThat(versions()).containsExactly(40L, 60L, 80L, 100L, 120L);
  }

  @Test
  void aBoundaryThatIsNotReplayedStillClosesItsEpoch() {
    Path file = dir.resolve("log");
    EpochLog log = EpochLog.open(file);
    log.append(Version.of(25)); // e.g. a progress event that the source does not deliver again
    log.append(Version.of(50));
    EpochCutter cutter = cutter(log, 1000);
    cutter.accept(tx(20, 1));
    cutter.accept(tx(30, 2));
    cutter.accept(tx(50, 3));
    assertThat(versions()).containsExactly(25L, 50L);
    assertThat(out.get(0).epoch().writes()).extracting(Write::key).containsExactly("1");
    assertThat(out.get(1).epoch().writes()).extracting(Write::key).containsExactly("2", "3");
  }

  @Test
  void snapshotChunksGoDownstreamAsPartsAndTheProgressEventClosesTheirEpoch() {
    EpochCutter cutter = cutter(EpochLog.open(dir.resolve("log")), 1);
    for (long k = 1; k <= 3; k++) {
      cutter.accept(
          new SourceTransaction(
              "src",
              Version.of(100),
              SourceTransaction.SNAPSHOT_CHUNK_ID,
              Instant.EPOCH,
              List.of(
                  new Change("ads", Map.of("id", k), Operation.SNAPSHOT, null, Map.of("id", k)))));
    }
    assertThat(out).hasSize(3).allSatisfy(c -> assertThat(c.epoch().partial()).isTrue());
    assertThat(out).allSatisfy(c -> assertThat(c.epoch().version()).isEqualTo(Version.of(100)));
    cutter.accept(SourceTransaction.progress("src", Version.of(100), Instant.EPOCH));
    nanos.addAndGet(Duration.ofMillis(10).toNanos());
    cutter.tick();
    assertThat(out).hasSize(4);
    assertThat(out.get(3).epoch().partial()).isFalse();
    assertThat(out.get(3).epoch().version()).isEqualTo(Version.of(100));
    cutter.accept(tx(110, 1));
    assertThat(versions()).containsExactly(100L, 100L, 100L, 100L, 110L);
  }

  @Test
  void redeliveredTransactionsAreIgnored() {
    EpochCutter cutter = cutter(EpochLog.open(dir.resolve("log")), 1);
    cutter.accept(tx(10, 1));
    cutter.accept(tx(10, 1));
    cutter.accept(tx(5, 1));
    assertThat(versions()).containsExactly(10L);
  }
}
