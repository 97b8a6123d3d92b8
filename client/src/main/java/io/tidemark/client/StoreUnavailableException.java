package io.tidemark.client;

/**
 * A store could not be reached or did not answer in time, or it is detached (the coordinator
 * stopped waiting for it, so it may be arbitrarily behind). Also thrown when the frontier cannot be
 * learned from a remote sidecar. Retrying later may succeed.
 */
public final class StoreUnavailableException extends TidemarkException {

  private static final long serialVersionUID = 1L;

  private final String store;

  StoreUnavailableException(String store, String message, Throwable cause) {
    super(message, cause);
    this.store = store;
  }

  /** The store's name in the deployment (e.g. {@code cache}), or {@code frontier}. */
  public String store() {
    return store;
  }

  @Override
  public String code() {
    return "store_unavailable";
  }
}
