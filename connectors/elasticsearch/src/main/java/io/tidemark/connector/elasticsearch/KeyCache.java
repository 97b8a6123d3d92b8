package io.tidemark.connector.elasticsearch;

import io.tidemark.protocol.Version;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The current version of recently written keys, with its document, so the writer can close it
 * without asking the store (design §4). Least recently used keys go first, with one exception: a
 * key written after the last completed refresh is kept even past the capacity, because the store
 * lookup that would replace the cache is a search, and a search cannot see it yet.
 *
 * <p>Used by the lane thread only; the refresh sequence it is trimmed against is read from the
 * visibility handoff.
 */
final class KeyCache {

  /** A key in a collection. */
  record CacheKey(String collection, String key) {}

  /**
   * The key's current stored version: written at {@code from}, with its document ({@code payload},
   * compact JSON) or, after a delete, none ({@code payload == null}, nothing open). {@code
   * writeSequence} numbers the apply call that wrote it.
   */
  record Current(Version from, byte[] payload, long writeSequence) {
    boolean isDeleted() {
      return payload == null;
    }
  }

  private final int capacity;
  private final LinkedHashMap<CacheKey, Current> entries;

  KeyCache(int capacity) {
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true);
  }

  Current get(CacheKey key) {
    return entries.get(key);
  }

  void put(CacheKey key, Current current) {
    entries.put(key, current);
  }

  void remove(CacheKey key) {
    entries.remove(key);
  }

  int size() {
    return entries.size();
  }

  void clear() {
    entries.clear();
  }

  /**
   * Drops least recently used keys beyond the capacity, keeping those written after {@code
   * refreshedSequence} (the last apply call whose writes a completed refresh made searchable).
   */
  void trim(long refreshedSequence) {
    if (entries.size() <= capacity) {
      return;
    }
    Iterator<Map.Entry<CacheKey, Current>> eldestFirst = entries.entrySet().iterator();
    while (entries.size() > capacity && eldestFirst.hasNext()) {
      if (eldestFirst.next().getValue().writeSequence() <= refreshedSequence) {
        eldestFirst.remove();
      }
    }
  }
}
