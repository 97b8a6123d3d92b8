package io.tidemark.connector.contract;

import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The source as the suite knows it: per (collection, key) the list of (version, document or
 * deleted), in version order. A read at S answers the last step at or before S.
 */
final class SourceModel {

  /** One (collection, key). */
  record Key(String collection, String key) {
    @Override
    public String toString() {
      return collection + "/" + key;
    }
  }

  /** One change of a key: its version and its new document, or null when deleted. */
  record Step(Version version, Map<String, Object> document) {
    boolean deleted() {
      return document == null;
    }
  }

  private final Map<Key, List<Step>> history = new LinkedHashMap<>();
  private final List<Version> epochs = new ArrayList<>();

  /** Records an epoch the store was given (in increasing version order). */
  void record(Epoch epoch) {
    if (!epochs.isEmpty() && !epochs.get(epochs.size() - 1).isBefore(epoch.version())) {
      throw new IllegalStateException(
          "epochs must grow: " + epoch.version() + " after " + epochs.get(epochs.size() - 1));
    }
    epochs.add(epoch.version());
    for (Write w : epoch.writes()) {
      history
          .computeIfAbsent(new Key(w.collection(), w.key()), k -> new ArrayList<>())
          .add(new Step(epoch.version(), w.document()));
    }
  }

  List<Version> epochs() {
    return List.copyOf(epochs);
  }

  Version lastEpoch() {
    return epochs.get(epochs.size() - 1);
  }

  Set<Key> keys() {
    return history.keySet();
  }

  /** The key's last step at or before {@code at}; empty when the key was never written by then. */
  Optional<Step> at(Key key, Version at) {
    Step found = null;
    for (Step s : history.getOrDefault(key, List.of())) {
      if (s.version().compareTo(at) <= 0) {
        found = s;
      }
    }
    return Optional.ofNullable(found);
  }

  /** The key's document at {@code at}, or empty when absent then (never written, or deleted). */
  Optional<Step> presentAt(Key key, Version at) {
    return at(key, at).filter(s -> !s.deleted());
  }

  Optional<Step> latest(Key key) {
    return at(key, Version.OPEN);
  }

  /**
   * How many stored entries of {@code collection} stop being visible at or before {@code horizon}:
   * documents (and, in caches, deletion markers) replaced by a later step with version ≤ horizon.
   * Counts documents only, which every layout stores.
   */
  long supersededBy(String collection, Version horizon) {
    long count = 0;
    for (Map.Entry<Key, List<Step>> e : history.entrySet()) {
      if (!e.getKey().collection().equals(collection)) {
        continue;
      }
      List<Step> steps = e.getValue();
      for (int i = 0; i + 1 < steps.size(); i++) {
        if (!steps.get(i).deleted() && steps.get(i + 1).version().compareTo(horizon) <= 0) {
          count++;
        }
      }
    }
    return count;
  }
}
