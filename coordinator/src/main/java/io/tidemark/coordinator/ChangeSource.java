package io.tidemark.coordinator;

import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Version;
import java.util.function.Consumer;

/**
 * Where ordered, versioned transactions come from (the Debezium PostgreSQL source in production).
 * Delivered transactions are redelivered after a restart unless acknowledged.
 */
interface ChangeSource extends AutoCloseable {

  /** Starts delivering, in commit order, on the source's own thread; the consumer may block. */
  void start(Consumer<SourceTransaction> consumer);

  /** Everything up to {@code version} is durable in every store: its offsets may be committed. */
  void acknowledge(Version version);

  @Override
  void close();
}
