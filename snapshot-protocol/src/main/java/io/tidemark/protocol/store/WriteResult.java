package io.tidemark.protocol.store;

import java.util.Objects;

/**
 * The outcome of one write.
 *
 * @param reason why it failed, for the failures; empty otherwise
 */
public record WriteResult(Write write, WriteOutcome outcome, String reason) {

  public WriteResult {
    Objects.requireNonNull(write, "write");
    Objects.requireNonNull(outcome, "outcome");
    reason = reason == null ? "" : reason;
  }

  public static WriteResult applied(Write write) {
    return new WriteResult(write, WriteOutcome.APPLIED, "");
  }

  public static WriteResult alreadyApplied(Write write) {
    return new WriteResult(write, WriteOutcome.ALREADY_APPLIED, "");
  }

  public static WriteResult retryable(Write write, String reason) {
    return new WriteResult(write, WriteOutcome.RETRYABLE, reason);
  }

  public static WriteResult fatal(Write write, String reason) {
    return new WriteResult(write, WriteOutcome.FATAL, reason);
  }
}
