package io.tidemark.protocol.store;

/** What happened to one write of an epoch. */
public enum WriteOutcome {
  /** Written now. */
  APPLIED,
  /** The store already held it (a replayed epoch); nothing changed. */
  ALREADY_APPLIED,
  /** Not written, for a reason that may pass (store unavailable, overloaded); retry it. */
  RETRYABLE,
  /** Not written and never will be as it is (the store rejects the document); stop and report. */
  FATAL;

  public boolean succeeded() {
    return this == APPLIED || this == ALREADY_APPLIED;
  }
}
