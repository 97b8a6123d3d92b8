package io.tidemark.protocol.store;

import io.tidemark.protocol.Version;
import java.util.List;

/** A store that answers full-text queries (Elasticsearch). */
public interface SearchReader extends StoreReader {

  /**
   * The documents matching {@code text} as of {@code at}: exactly the rows that matched at that
   * version, best first, at most {@code size}.
   */
  List<Entry> search(String collection, String text, Version at, int size);

  /** The current documents matching {@code text}, best first, at most {@code size}. */
  List<Entry> searchLatest(String collection, String text, int size);
}
