package io.tidemark.client;

/**
 * A read was refused or could not be served. Every refusal of the read path is one of the
 * subclasses, each with a stable {@link #code()} (the {@code error} field of the sidecar's
 * answers):
 *
 * <ul>
 *   <li>{@link BadTokenException} {@code bad_token}: the token text is malformed
 *   <li>{@link SnapshotExpiredException} {@code snapshot_expired}: below the horizon
 *   <li>{@link SnapshotNotReadyException} {@code snapshot_not_ready}: above the frontier
 *   <li>{@link UnknownCollectionException} {@code unknown_collection}: no such collection, or not
 *       in the store asked for
 *   <li>{@link StoreUnavailableException} {@code store_unavailable}: a store (or the frontier's
 *       source) could not be reached or is detached
 * </ul>
 */
public abstract class TidemarkException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  TidemarkException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The stable error code, e.g. {@code snapshot_expired}. */
  public abstract String code();
}
