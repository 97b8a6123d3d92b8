package io.tidemark.devstack;

import java.util.Locale;

/** The stores that a {@link Devstack} can start. */
public enum StoreKind {
  POSTGRES,
  ELASTICSEARCH,
  REDIS,
  MEMCACHED;

  /** The lower-case name used in folder names, messages and {@link Devstack#main}'s arguments. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@link #id()} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the valid values
   */
  public static StoreKind of(String id) {
    for (StoreKind kind : values()) {
      if (kind.id().equalsIgnoreCase(id.trim())) {
        return kind;
      }
    }
    throw new IllegalArgumentException(
        "unknown store '" + id + "': expected one of postgres, elasticsearch, redis, memcached");
  }
}
