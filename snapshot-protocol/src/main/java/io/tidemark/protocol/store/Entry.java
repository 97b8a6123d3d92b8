package io.tidemark.protocol.store;

import java.util.Map;
import java.util.Objects;

/**
 * One version of a key as a store holds it: its range and the document (without any of the store's
 * bookkeeping fields).
 */
public record Entry(String key, VersionRange range, Map<String, Object> document) {

  public Entry {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(range, "range");
    Objects.requireNonNull(document, "document");
  }
}
