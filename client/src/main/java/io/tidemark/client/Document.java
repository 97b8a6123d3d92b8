package io.tidemark.client;

import io.tidemark.protocol.Version;
import java.util.Map;
import java.util.Objects;

/**
 * One row as a store returned it.
 *
 * @param id the row's key in the collection
 * @param version the source version that wrote this value (the entry's {@code from}); at a snapshot
 *     S it is the newest change of the row at or below S
 * @param doc the document, without any of the store's bookkeeping fields
 * @param store the name of the store that answered (e.g. {@code cache} or {@code readdb})
 */
public record Document(String id, Version version, Map<String, Object> doc, String store) {

  public Document {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(doc, "doc");
    Objects.requireNonNull(store, "store");
  }
}
