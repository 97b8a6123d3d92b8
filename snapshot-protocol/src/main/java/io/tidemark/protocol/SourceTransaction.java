package io.tidemark.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A committed source transaction, whole: every change it made, in order, with its version (the
 * commit LSN). A transaction without changes is a progress event: the source has nothing below
 * {@code version} left to deliver (heartbeats on an idle source).
 *
 * <p>Versions strictly increase from one transaction to the next, with one exception: the rows that
 * existed before a source's first start (its initial snapshot) come as several chunks (see {@link
 * #isSnapshotChunk()}) that all carry the snapshot's version, followed by a progress event at that
 * same version. The snapshot's version is complete only with that progress event (or any later
 * version); a consumer must neither treat a chunk as a redelivery nor publish the snapshot's
 * version before then.
 *
 * @param source the source's name, e.g. {@code listings}
 * @param version the commit LSN; see above for the snapshot's chunks
 * @param transactionId the source's transaction id (text), empty for progress events
 * @param commitTime when the source committed it
 * @param changes the row changes in source order; empty for progress events
 */
public record SourceTransaction(
    String source,
    Version version,
    String transactionId,
    Instant commitTime,
    List<Change> changes) {

  public SourceTransaction {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(transactionId, "transactionId");
    Objects.requireNonNull(commitTime, "commitTime");
    changes = List.copyOf(changes);
  }

  /** A progress event: nothing at or below {@code version} is still to come. */
  public static SourceTransaction progress(String source, Version version, Instant time) {
    return new SourceTransaction(source, version, "", time, List.of());
  }

  public boolean isProgress() {
    return changes.isEmpty();
  }

  /** The {@link #transactionId()} of the chunks of an initial snapshot. */
  public static final String SNAPSHOT_CHUNK_ID = "snapshot";

  /**
   * Whether this is one chunk of the source's initial snapshot: existing rows ({@code
   * Change.Operation.SNAPSHOT}), all at the snapshot's version, which the next chunks share.
   */
  public boolean isSnapshotChunk() {
    return SNAPSHOT_CHUNK_ID.equals(transactionId) && !changes.isEmpty();
  }
}
