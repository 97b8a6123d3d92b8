package io.tidemark.client;

/**
 * The collection is not configured, or is not held by the kind of store the read asked for (for
 * example a search on a collection without a search index). The message lists what exists.
 */
public final class UnknownCollectionException extends TidemarkException {

  private static final long serialVersionUID = 1L;

  UnknownCollectionException(String message) {
    super(message, null);
  }

  @Override
  public String code() {
    return "unknown_collection";
  }
}
