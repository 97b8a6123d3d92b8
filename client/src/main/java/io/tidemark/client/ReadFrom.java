package io.tidemark.client;

import java.util.Locale;

/**
 * Which kind of store a key read goes to, when the caller chooses (the default reads them in turn).
 */
public enum ReadFrom {
  /** The collection's caches, in the order configured; a cache may miss. */
  CACHE,
  /** The read database (authoritative). */
  DB,
  /** The search index (authoritative). */
  SEARCH;

  /**
   * The kind named by {@code text} in any case: {@code cache}, {@code db} or {@code search}.
   *
   * @throws IllegalArgumentException naming the text and the valid names
   */
  public static ReadFrom parse(String text) {
    if (text != null) {
      for (ReadFrom from : values()) {
        if (from.name().equalsIgnoreCase(text.trim())) {
          return from;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown store kind '" + text + "'; use cache, db or search");
  }

  /** The lower-case name used in URLs. */
  public String text() {
    return name().toLowerCase(Locale.ROOT);
  }
}
