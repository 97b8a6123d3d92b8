package io.tidemark.protocol.store;

/** A store could not be reached or did not answer in time. Retrying later may succeed. */
public final class StoreUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String store;

  public StoreUnavailableException(String store, String message, Throwable cause) {
    super("store '" + store + "' unavailable: " + message, cause);
    this.store = store;
  }

  /** The store's name in the deployment (e.g. {@code search}) or its kind. */
  public String store() {
    return store;
  }
}
