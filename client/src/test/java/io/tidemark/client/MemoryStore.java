package io.tidemark.client;

import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.SearchReader;
import io.tidemark.protocol.store.StoreReader;
import io.tidemark.protocol.store.StoreUnavailableException;
import io.tidemark.protocol.store.VersionRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A versioned key-value reader in memory for the client's unit tests (the ITs use real stores). A
 * cache holds entries and deletion markers for some keys only; {@link #down} makes it throw.
 */
class MemoryStore implements StoreReader {

  final String name;
  final boolean authoritative;
  final Map<String, List<Entry>> entries = new ConcurrentHashMap<>();
  volatile boolean down;
  final List<String> reads = new CopyOnWriteArrayList<>();

  MemoryStore(String name, boolean authoritative) {
    this.name = name;
    this.authoritative = authoritative;
  }

  /** The row at [from, to); a null document is a deletion marker (caches). */
  MemoryStore put(String key, long from, long to, Map<String, Object> document) {
    entries
        .computeIfAbsent(key, k -> new CopyOnWriteArrayList<>())
        .add(
            new Entry(
                key,
                new VersionRange(Version.of(from), to < 0 ? Version.OPEN : Version.of(to)),
                document == null ? Map.of("_deleted", true) : document));
    return this;
  }

  @Override
  public Lookup get(String collection, String key, Version at) {
    reads.add("get " + key + "@" + at);
    check();
    for (Entry e : entries.getOrDefault(key, List.of())) {
      if (e.range().visibleAt(at)) {
        return e.document().containsKey("_deleted") ? Lookup.absent() : Lookup.found(e);
      }
    }
    return authoritative ? Lookup.absent() : Lookup.miss();
  }

  @Override
  public Lookup latest(String collection, String key) {
    reads.add("latest " + key);
    check();
    Entry newest = null;
    for (Entry e : entries.getOrDefault(key, List.of())) {
      if (newest == null || e.range().from().isAfter(newest.range().from())) {
        newest = e;
      }
    }
    if (newest == null) {
      return authoritative ? Lookup.absent() : Lookup.miss();
    }
    return newest.document().containsKey("_deleted") || !newest.range().isOpen()
        ? Lookup.absent()
        : Lookup.found(newest);
  }

  void check() {
    if (down) {
      throw new StoreUnavailableException(name, "down for the test", null);
    }
  }

  @Override
  public boolean authoritative() {
    return authoritative;
  }

  @Override
  public void close() {}

  /** A search index: text matches when a document's "title" contains it. */
  static final class Search extends MemoryStore implements SearchReader {
    Search(String name) {
      super(name, true);
    }

    @Override
    public List<Entry> search(String collection, String text, Version at, int size) {
      check();
      List<Entry> out = new ArrayList<>();
      entries.forEach(
          (key, list) -> {
            for (Entry e : list) {
              if (e.range().visibleAt(at)
                  && String.valueOf(e.document().get("title")).contains(text)) {
                out.add(e);
              }
            }
          });
      return out.subList(0, Math.min(size, out.size()));
    }

    @Override
    public List<Entry> searchLatest(String collection, String text, int size) {
      return search(collection, text, Version.of(-2L), size);
    }
  }
}
