package io.tidemark.connector.contract;

import io.tidemark.protocol.store.StoreReader;
import io.tidemark.protocol.store.StoreWriter;
import java.util.Objects;

/**
 * A writer and a reader of one store, opened for one contract test. The suite gives every test its
 * own collection and source names, so a fixture may share a store (and its connections' server)
 * with other tests. Closing the fixture closes the reader, then the writer, then runs the extra
 * clean-up, if any.
 */
public final class StoreFixture implements AutoCloseable {

  private final StoreWriter writer;
  private final StoreReader reader;
  private final AutoCloseable onClose;

  private StoreFixture(StoreWriter writer, StoreReader reader, AutoCloseable onClose) {
    this.writer = Objects.requireNonNull(writer, "writer");
    this.reader = Objects.requireNonNull(reader, "reader");
    this.onClose = onClose;
  }

  /** Writer and reader may be the same object; it is then closed once. */
  public static StoreFixture of(StoreWriter writer, StoreReader reader) {
    return new StoreFixture(writer, reader, null);
  }

  /** As {@link #of(StoreWriter, StoreReader)}, running {@code onClose} last. */
  public static StoreFixture of(StoreWriter writer, StoreReader reader, AutoCloseable onClose) {
    return new StoreFixture(writer, reader, Objects.requireNonNull(onClose, "onClose"));
  }

  public StoreWriter writer() {
    return writer;
  }

  public StoreReader reader() {
    return reader;
  }

  @Override
  public void close() {
    try {
      reader.close();
    } finally {
      try {
        if (writer != reader) {
          writer.close();
        }
      } finally {
        if (onClose != null) {
          closeExtra();
        }
      }
    }
  }

  private void closeExtra() {
    try {
      onClose.close();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("clean-up after the contract test failed: " + e, e);
    }
  }
}
