package io.tidemark.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A committed source transaction, whole: every change it made, in order, with its version (the
 * commit LSN). A transaction without changes is a progress event: the source has nothing below
 * {@code version} left to deliver (heartbeats on an idle source).
 *
 * @param source the source's name, e.g. {@code listings}
 * @param version the commit LSN, strictly increasing from one transaction to the next
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
}
