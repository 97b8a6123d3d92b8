package io.tidemark.connector.contract;

import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.StoreWriter;

/** A writer that passes every call on; tests override one method to break it. */
class ForwardingWriter implements StoreWriter {
  private final StoreWriter delegate;

  ForwardingWriter(StoreWriter delegate) {
    this.delegate = delegate;
  }

  @Override
  public ApplyResult apply(Epoch epoch) {
    return delegate.apply(epoch);
  }

  @Override
  public Stamp makeVisible() {
    return delegate.makeVisible();
  }

  @Override
  public Stamp watermark() {
    return delegate.watermark();
  }

  @Override
  public long purge(String collection, Version horizon) {
    return delegate.purge(collection, horizon);
  }

  @Override
  public void clear(String collection) {
    delegate.clear(collection);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
