package io.tidemark.client;

/**
 * The snapshot is above the frontier (or names a source the frontier does not have yet), and the
 * allowed wait, if any, ran out. Waiting longer may succeed.
 */
public final class SnapshotNotReadyException extends TidemarkException {

  private static final long serialVersionUID = 1L;

  SnapshotNotReadyException(String message) {
    super(message, null);
  }

  @Override
  public String code() {
    return "snapshot_not_ready";
  }
}
