package io.tidemark.connector.elasticsearch;

import java.util.ArrayList;
import java.util.List;

/**
 * Every key this instance has written to a collection whose index it created itself, as a Bloom
 * filter: a key it has certainly never written has no version in that index, so a key cache miss on
 * it needs no lookup. This saves the lookup search for new rows, which are most of the writes of an
 * initial load. False positives only cost a lookup.
 *
 * <p>Grows by adding filters twice the size of the last one (a scalable Bloom filter), so memory
 * follows the number of keys: about 2 to 4 bytes per key, at a false positive rate of 1 to 2% at
 * most. Used by the lane thread only.
 */
final class KnownKeys {

  private static final int FIRST_BITS = 1 << 17;
  private static final int HASHES = 4;

  /**
   * Bits per key before a filter counts as full: 4 hashes at 16 bits per key give 0.24% per filter;
   * a query asks every filter, so the rates add up over the few a collection grows.
   */
  private static final int BITS_PER_KEY = 16;

  private final List<long[]> filters = new ArrayList<>();
  private int keysInLast;

  KnownKeys() {
    filters.add(new long[FIRST_BITS / 64]);
  }

  void add(String key) {
    long[] last = filters.get(filters.size() - 1);
    if (keysInLast >= last.length * 64 / BITS_PER_KEY) {
      last = new long[last.length * 2];
      filters.add(last);
      keysInLast = 0;
    }
    if (!contains(last, key)) {
      set(last, key);
      keysInLast++;
    }
  }

  /** False when {@code key} was certainly never added. */
  boolean mightContain(String key) {
    for (long[] filter : filters) {
      if (contains(filter, key)) {
        return true;
      }
    }
    return false;
  }

  private static void set(long[] filter, String key) {
    long bits = filter.length * 64L;
    long h1 = hash1(key);
    long h2 = hash2(key);
    for (int i = 0; i < HASHES; i++) {
      long bit = Math.floorMod(h1 + i * h2, bits);
      filter[(int) (bit >>> 6)] |= 1L << bit;
    }
  }

  private static boolean contains(long[] filter, String key) {
    long bits = filter.length * 64L;
    long h1 = hash1(key);
    long h2 = hash2(key);
    for (int i = 0; i < HASHES; i++) {
      long bit = Math.floorMod(h1 + i * h2, bits);
      if ((filter[(int) (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
    }
    return true;
  }

  /** String's own hash, spread (murmur3's finalizer). */
  private static long hash1(String key) {
    long h = key.hashCode();
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  /** An independent 64-bit hash of the characters (FNV-1a), odd so the probes differ. */
  private static long hash2(String key) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < key.length(); i++) {
      h ^= key.charAt(i);
      h *= 0x100000001b3L;
    }
    return h | 1;
  }
}
