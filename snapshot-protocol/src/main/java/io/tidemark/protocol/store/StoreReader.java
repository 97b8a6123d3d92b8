package io.tidemark.protocol.store;

import io.tidemark.protocol.Version;

/**
 * The read side of a store. Reads at a version use the visibility rule of {@link VersionRange}.
 * Methods throw {@link StoreUnavailableException} when the store cannot be reached.
 */
public interface StoreReader extends AutoCloseable {

  /** The key's entry visible at {@code at}: found, absent, or (caches only) a miss. */
  Lookup get(String collection, String key, Version at);

  /** The key's current entry, whatever its version: found, absent, or (caches only) a miss. */
  Lookup latest(String collection, String key);

  /**
   * Whether "no entry" means the row did not exist (search index, read database) rather than a miss
   * (caches: evicted, flushed or never filled).
   */
  boolean authoritative();

  @Override
  void close();
}
