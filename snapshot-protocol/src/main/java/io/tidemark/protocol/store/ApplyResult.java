package io.tidemark.protocol.store;

import io.tidemark.protocol.Version;
import java.util.List;

/**
 * The outcome of applying one epoch: one {@link WriteResult} per write, in the epoch's order. The
 * epoch counts as applied only when every write succeeded; otherwise the caller retries the epoch
 * (writes are idempotent by key and version) or stops on a fatal one.
 */
public record ApplyResult(Version version, List<WriteResult> results) {

  public ApplyResult {
    results = List.copyOf(results);
  }

  /** Every write of the epoch has the same outcome. */
  public static ApplyResult all(Epoch epoch, WriteOutcome outcome, String reason) {
    return new ApplyResult(
        epoch.version(),
        epoch.writes().stream().map(w -> new WriteResult(w, outcome, reason)).toList());
  }

  public boolean succeeded() {
    return results.stream().allMatch(r -> r.outcome().succeeded());
  }

  public List<WriteResult> failures() {
    return results.stream().filter(r -> !r.outcome().succeeded()).toList();
  }

  /** The first write the store rejects for good, if any. */
  public java.util.Optional<WriteResult> firstFatal() {
    return results.stream().filter(r -> r.outcome() == WriteOutcome.FATAL).findFirst();
  }
}
