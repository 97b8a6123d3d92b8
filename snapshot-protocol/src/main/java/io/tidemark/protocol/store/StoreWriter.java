package io.tidemark.protocol.store;

import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;

/**
 * The write side of a store: applies epochs in versioned layout (design §4) and says how far it has
 * applied.
 *
 * <p>Contract, for every implementation (the connector contract suite checks it):
 *
 * <ul>
 *   <li>Epochs of one source arrive in increasing version order. An epoch at or below the store's
 *       watermark for its source is answered {@link WriteOutcome#ALREADY_APPLIED} and changes
 *       nothing. An epoch above the watermark may have been applied before, partly or wholly (a
 *       crash before the watermark moved); applying it again leaves the store as one application
 *       would.
 *   <li>Each write adds the key's entry from the epoch's version and closes the key's previous
 *       entry at it; a deletion only closes (caches keep a deletion marker entry instead).
 *   <li>{@link #watermark()} never covers data that is not durable and visible to readers, and
 *       never moves back while the store keeps its data.
 * </ul>
 *
 * <p>Implementations are used by one lane thread for {@link #apply}; {@link #makeVisible}, {@link
 * #watermark} and {@link #purge} may be called from other threads.
 */
public interface StoreWriter extends AutoCloseable {

  /**
   * Writes an epoch durably, with a result per write. It need not be visible to readers yet: see
   * {@link #makeVisible()}. Never throws for store trouble; that is a {@link
   * WriteOutcome#RETRYABLE} result.
   */
  ApplyResult apply(Epoch epoch);

  /**
   * Makes every epoch applied so far visible to readers (Elasticsearch: a refresh; most stores:
   * nothing) and returns the watermark that now holds.
   *
   * @throws StoreUnavailableException when the store cannot be reached; the watermark stays
   */
  Stamp makeVisible();

  /**
   * Per source, the version up to which every epoch is applied, durable and visible. Empty when
   * nothing is known (a fresh store, or a cache that keeps no watermark).
   */
  Stamp watermark();

  /**
   * Removes entries of {@code collection} that no snapshot at or after {@code horizon} can read
   * (their range ends at or before it), always keeping the entry visible at the horizon. The
   * horizon is a version of the source the collection comes from.
   *
   * @return how many entries were removed
   * @throws StoreUnavailableException when the store cannot be reached
   */
  long purge(String collection, Version horizon);

  /**
   * Removes every entry of {@code collection} and every watermark this store recorded, as if
   * nothing had been written to it. Only for a store no reader can use yet: the coordinator calls
   * it when a first snapshot was interrupted, before taking it again at a new version, because rows
   * of the abandoned snapshot that were deleted in between would otherwise stay readable.
   * Idempotent.
   *
   * @throws StoreUnavailableException when the store cannot be reached
   * @throws UnsupportedOperationException when this store cannot clear a collection
   */
  default void clear(String collection) {
    throw new UnsupportedOperationException(
        getClass().getSimpleName()
            + " cannot clear collection '"
            + collection
            + "': remove its entries by hand, then restart");
  }

  /** Releases connections. Does not stop the store. */
  @Override
  void close();
}
