package io.tidemark.connector.contract;

import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.StoreReader;

/** A cache reader that never answers: correct by the rules, and useless. */
final class AlwaysMissReader implements StoreReader {

  @Override
  public Lookup get(String collection, String key, Version at) {
    return Lookup.miss();
  }

  @Override
  public Lookup latest(String collection, String key) {
    return Lookup.miss();
  }

  @Override
  public boolean authoritative() {
    return false;
  }

  @Override
  public void close() {}
}
