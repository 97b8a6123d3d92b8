package io.tidemark.protocol.store;

import java.util.Map;
import java.util.Objects;

/**
 * One key's new value in an {@link Epoch}: a projected document, or a deletion ({@code document ==
 * null}). Its version is the epoch's.
 *
 * @param collection the collection, e.g. {@code ads}
 * @param key the store key (any text: unicode, {@code @ / :} and spaces included)
 * @param document the JSON-shaped document, or null when the row was deleted
 */
public record Write(String collection, String key, Map<String, Object> document) {

  public Write {
    Objects.requireNonNull(collection, "collection");
    Objects.requireNonNull(key, "key");
  }

  public static Write upsert(String collection, String key, Map<String, Object> document) {
    return new Write(collection, key, Objects.requireNonNull(document, "document"));
  }

  public static Write delete(String collection, String key) {
    return new Write(collection, key, null);
  }

  public boolean isDelete() {
    return document == null;
  }

  @Override
  public String toString() {
    return (isDelete() ? "delete " : "upsert ") + collection + "/" + key;
  }
}
