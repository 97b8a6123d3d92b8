package io.tidemark.client;

/**
 * The snapshot is below the horizon: versions it needs may be purged (like Oracle's "snapshot too
 * old"). Final for this token: take a new snapshot.
 */
public final class SnapshotExpiredException extends TidemarkException {

  private static final long serialVersionUID = 1L;

  SnapshotExpiredException(String message) {
    super(message, null);
  }

  @Override
  public String code() {
    return "snapshot_expired";
  }
}
