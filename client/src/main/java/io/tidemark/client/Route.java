package io.tidemark.client;

import io.tidemark.protocol.store.SearchReader;
import io.tidemark.protocol.store.StoreReader;
import java.util.ArrayList;
import java.util.List;

/**
 * Where one collection's reads go: its source, its caches (in order), its read database and its
 * search index. Roles come from the readers: a {@link SearchReader} is the search index, another
 * authoritative reader the read database, a non-authoritative one a cache.
 */
record Route(
    String collection,
    String source,
    List<NamedReader> caches,
    NamedReader db,
    NamedReader search,
    List<String> storeNames) {

  /** A reader under its deployment name. */
  record NamedReader(String name, StoreReader reader) {}

  static Route of(String collection, String source, List<NamedReader> readers) {
    List<NamedReader> caches = new ArrayList<>();
    NamedReader db = null;
    NamedReader search = null;
    List<String> names = new ArrayList<>();
    for (NamedReader r : readers) {
      names.add(r.name());
      if (r.reader() instanceof SearchReader) {
        if (search != null) {
          throw new IllegalArgumentException(
              "collection '"
                  + collection
                  + "' is in two search stores, '"
                  + search.name()
                  + "' and '"
                  + r.name()
                  + "': a collection reads from one search index");
        }
        search = r;
      } else if (r.reader().authoritative()) {
        if (db != null) {
          throw new IllegalArgumentException(
              "collection '"
                  + collection
                  + "' is in two read databases, '"
                  + db.name()
                  + "' and '"
                  + r.name()
                  + "': a collection reads from one read database");
        }
        db = r;
      } else {
        caches.add(r);
      }
    }
    if (db == null && search == null) {
      throw new IllegalArgumentException(
          "collection '"
              + collection
              + "' is only in caches "
              + names
              + ": add an authoritative store (a read database or a search index), which a cache"
              + " miss falls back to");
    }
    return new Route(collection, source, List.copyOf(caches), db, search, List.copyOf(names));
  }

  /** The authoritative store a key read falls back to: the read database, else the index. */
  NamedReader authority() {
    return db != null ? db : search;
  }
}
