package io.tidemark.benchmarks;

/** The workload mixes of the report. */
enum Mix {
  /** New ads: every row written is a new one (the search-then-404 case). */
  INSERT_HEAVY("insert-heavy", Workload.Keys.INSERT),
  /** Edits: updates with 90% of the rows written among 1% of the keys (epochs coalesce them). */
  UPDATE_SKEWED("update-heavy, skewed keys", Workload.Keys.HOT),
  /**
   * Readers search for fresh ads, then load a hit's detail, as fast as they can, while writers post
   * new ads (and withdraw some) at a fixed rate.
   */
  READ_HEAVY("read-heavy", Workload.Keys.INSERT);

  static final Mix[] WRITE_MIXES = {INSERT_HEAVY, UPDATE_SKEWED};

  final String label;
  final Workload.Keys keys;

  Mix(String label, Workload.Keys keys) {
    this.label = label;
    this.keys = keys;
  }
}
