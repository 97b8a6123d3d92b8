package io.tidemark.coordinator;

import io.tidemark.protocol.Change;
import io.tidemark.protocol.Projection;
import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Cuts the ordered transactions of one source into epochs (design §2, §6).
 *
 * <p>An epoch closes after {@code maxChanges} source changes or {@code maxDuration} after its first
 * transaction, whichever comes first; but while a lane still has epochs waiting ({@code
 * lanesBusy}), a due epoch stays open and keeps growing, up to {@code maxChanges} or {@link
 * #BUSY_HOLD}. A busy lane could not start on it anyway, and a bigger epoch costs that lane less
 * per change: one bulk and one visibility step for more changes, and more updates of a hot key
 * coalesced into one write. So epochs are short when the stores keep up and grow by themselves
 * under backlog. Its boundary is recorded in the {@link EpochLog} before the epoch goes downstream.
 * After a restart the replayed stream is cut at exactly the recorded boundaries, ignoring the
 * limits, so that every store sees the same epochs as before the crash; only past the last recorded
 * boundary are new epochs cut.
 *
 * <p>Thread-safe: the source thread calls {@link #accept}, a ticker calls {@link #tick}. Downstream
 * may block (backpressure); that blocks the source.
 */
final class EpochCutter {

  /**
   * How long a due epoch may wait for busy lanes. It bounds how much later than {@code maxDuration}
   * an epoch can close, so a lane that stays busy (a store that is down) still gets epochs of
   * bounded age once it recovers.
   */
  static final Duration BUSY_HOLD = Duration.ofSeconds(1);

  private final String source;
  private final int maxChanges;
  private final long maxDurationNanos;
  private final long busyHoldNanos;
  private final LongSupplier nanoTime;
  private final BooleanSupplier lanesBusy;
  private final EpochLog log;
  private final Consumer<CutEpoch> downstream;
  private final Deque<Version> replayBoundaries;

  private Epoch.Builder builder;
  private long epochStartNanos;
  private int transactions;
  private Version lastVersion; // of the last transaction taken into the open epoch
  private Instant lastCommit;
  private Version lastClosed; // version of the last epoch sent downstream

  EpochCutter(
      String source,
      int maxChanges,
      Duration maxDuration,
      LongSupplier nanoTime,
      BooleanSupplier lanesBusy,
      EpochLog log,
      Consumer<CutEpoch> downstream) {
    this.source = source;
    this.maxChanges = maxChanges;
    this.maxDurationNanos = maxDuration.toNanos();
    this.busyHoldNanos = Math.max(maxDurationNanos, BUSY_HOLD.toNanos());
    this.nanoTime = nanoTime;
    this.lanesBusy = lanesBusy;
    this.log = log;
    this.downstream = downstream;
    this.replayBoundaries = new ArrayDeque<>(log.boundariesAbove(Version.ZERO));
    this.lastClosed = null;
    this.builder = Epoch.builder(source);
  }

  synchronized void accept(SourceTransaction tx) {
    if (!tx.source().equals(source)) {
      throw new IllegalArgumentException(
          "transaction of source '" + tx.source() + "' given to the cutter of '" + source + "'");
    }
    Version version = tx.version();
    if ((lastClosed != null && !version.isAfter(lastClosed))
        || (lastVersion != null && !version.isAfter(lastVersion))) {
      return; // redelivered within this run: already cut
    }
    if (lastVersion == null && lastClosed == null) {
      // First transaction of this run: boundaries below it belong to epochs every store has.
      while (!replayBoundaries.isEmpty() && replayBoundaries.peekFirst().isBefore(version)) {
        replayBoundaries.removeFirst();
      }
    }
    while (!replayBoundaries.isEmpty() && version.isAfter(replayBoundaries.peekFirst())) {
      closeAt(replayBoundaries.removeFirst(), false); // the recorded epoch ended before this one
    }
    if (tx.isSnapshotChunk()) {
      passOnSnapshotChunk(tx);
      return;
    }
    take(tx);
    if (!replayBoundaries.isEmpty()) {
      if (version.equals(replayBoundaries.peekFirst())) {
        closeAt(replayBoundaries.removeFirst(), false);
      }
      return; // replaying: only recorded boundaries cut
    }
    if (builder.sourceChanges() >= maxChanges || due()) {
      closeAt(version, true);
    }
  }

  /** The open epoch has run long enough, given how busy the lanes are. */
  private boolean due() {
    long age = nanoTime.getAsLong() - epochStartNanos;
    return age >= maxDurationNanos && (age >= busyHoldNanos || !lanesBusy.getAsBoolean());
  }

  /** Closes the open epoch when it is due. */
  synchronized void tick() {
    if (lastVersion != null && replayBoundaries.isEmpty() && due()) {
      closeAt(lastVersion, true);
    }
  }

  /** Closes the open epoch now, if it holds anything (used on shutdown). */
  synchronized void flush() {
    if (lastVersion != null && replayBoundaries.isEmpty()) {
      closeAt(lastVersion, true);
    }
  }

  /**
   * The initial snapshot comes in chunks that share its version, too many rows to hold at once:
   * each chunk goes downstream at once as a part of the epoch at that version. The progress event
   * at the same version that ends the snapshot then closes that epoch as usual, and only that moves
   * the stores' watermarks to it.
   */
  private void passOnSnapshotChunk(SourceTransaction tx) {
    if (lastVersion != null && tx.version().isAfter(lastVersion)) {
      closeAt(lastVersion, true);
    }
    List<Write> writes = new java.util.ArrayList<>(tx.changes().size());
    for (Change change : tx.changes()) {
      writes.add(write(change));
    }
    downstream.accept(new CutEpoch(Epoch.part(source, tx.version(), writes), 0, tx.commitTime()));
  }

  private static Write write(Change change) {
    String key = Projection.defaultKey(change.key());
    return change.isDelete()
        ? Write.delete(change.collection(), key)
        : Write.upsert(change.collection(), key, JsonValues.row(change.after()));
  }

  private void take(SourceTransaction tx) {
    if (lastVersion == null) {
      epochStartNanos = nanoTime.getAsLong();
    }
    for (Change change : tx.changes()) {
      builder.add(write(change));
    }
    transactions++;
    lastVersion = tx.version();
    lastCommit = tx.commitTime();
  }

  private void closeAt(Version boundary, boolean record) {
    if (record) {
      log.append(boundary);
    }
    Epoch epoch = builder.build(boundary);
    CutEpoch cut =
        new CutEpoch(epoch, transactions, lastCommit == null ? Instant.EPOCH : lastCommit);
    builder = Epoch.builder(source);
    transactions = 0;
    lastVersion = null;
    lastCommit = null;
    lastClosed = boundary;
    downstream.accept(cut);
  }

  synchronized List<Version> pendingReplayBoundaries() {
    return List.copyOf(replayBoundaries);
  }
}
