package io.tidemark.protocol;

/** How exact a read is, chosen per read (design §5). */
public enum ConsistencyLevel {
  /** An exact cut at the snapshot's stamp across all stores. The default. */
  SNAPSHOT,
  /** Causal: waits until the store's watermark covers the stamp, then reads its latest value. */
  AT_LEAST,
  /** No guarantee: the store's latest value. */
  LATEST;

  /**
   * The level named by {@code text}, in any case ({@code snapshot}, {@code at_least} or {@code
   * at-least}, {@code latest}), as it comes in a query parameter or configuration.
   *
   * @throws IllegalArgumentException naming the text and the valid names
   */
  public static ConsistencyLevel parse(String text) {
    if (text != null) {
      String name = text.trim().replace('-', '_').toUpperCase(java.util.Locale.ROOT);
      for (ConsistencyLevel level : values()) {
        if (level.name().equals(name)) {
          return level;
        }
      }
    }
    return fail(text);
  }

  private static ConsistencyLevel fail(String text) {
    throw new IllegalArgumentException(
        "unknown consistency level '" + text + "'; use snapshot, at_least or latest");
  }
}
