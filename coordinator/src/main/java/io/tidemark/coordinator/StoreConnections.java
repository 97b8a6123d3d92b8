package io.tidemark.coordinator;

import io.tidemark.protocol.store.StoreWriter;

/** Opens the connector for a configured store. */
final class StoreConnections {

  private StoreConnections() {}

  static StoreWriter writer(TidemarkConfig.Store store) {
    throw new UnsupportedOperationException("store kind " + store.kind() + " is not wired yet");
  }
}
