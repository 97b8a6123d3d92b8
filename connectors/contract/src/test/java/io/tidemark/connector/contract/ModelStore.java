package io.tidemark.connector.contract;

import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.SearchReader;
import io.tidemark.protocol.store.StoreWriter;
import io.tidemark.protocol.store.VersionRange;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny in-memory store in the versioned layout of design §4, to test the contract suite itself:
 * the suite must pass on it, and must fail on each of its {@link Defect}s. Not a stand-in for any
 * real store.
 */
final class ModelStore implements StoreWriter, SearchReader {

  /** Deliberate bugs the suite must catch. */
  enum Defect {
    NONE,
    /** Adds the new entry but leaves the previous one open: old values stay visible. */
    IGNORES_CLOSING,
    /** Purge also removes the closed entry that is still visible at the horizon. */
    PURGES_ENTRY_VISIBLE_AT_HORIZON,
    /** Replaying an old epoch sets the watermark back to it. */
    WATERMARK_MOVES_BACK,
    /** Re-applying an epoch above the watermark closes the entry it wrote the first time. */
    REAPPLY_CLOSES_ITS_OWN_ENTRY,
    /** Drops fields whose value is null. */
    DROPS_NULL_FIELDS,
    /** Search ignores the snapshot and searches the latest entries. */
    SEARCH_IGNORES_SNAPSHOT,
    /** A cache that answers a miss with the newest entry it has, whatever S. */
    CACHE_ANSWERS_NEWEST,
    /** Clear forgets the watermark but keeps the collection's entries. */
    CLEAR_KEEPS_ENTRIES,
  }

  private static final class Stored {
    final long from;
    long to = Version.OPEN.asLong();
    final Map<String, Object> document;

    Stored(long from, Map<String, Object> document) {
      this.from = from;
      this.document = document;
    }
  }

  private final Defect defect;
  private final boolean cache;
  private final Map<String, Map<String, List<Stored>>> collections = new HashMap<>();
  private final boolean deferVisibility;
  private final Map<String, Version> watermarks = new LinkedHashMap<>();
  private final Map<String, Version> applied = new LinkedHashMap<>();

  /**
   * @param cache whether it behaves as a cache: misses a third of the keys, keeps delete markers
   * @param deferVisibility whether the watermark moves only at makeVisible (as Elasticsearch's),
   *     rather than with each apply (as the read database's)
   */
  ModelStore(Defect defect, boolean cache, boolean deferVisibility) {
    this.defect = defect;
    this.cache = cache;
    this.deferVisibility = deferVisibility;
  }

  @Override
  public synchronized void clear(String collection) {
    if (defect != Defect.CLEAR_KEEPS_ENTRIES) {
      collections.remove(collection);
    }
    watermarks.clear();
    applied.clear();
  }

  @Override
  public synchronized ApplyResult apply(Epoch epoch) {
    Version watermark = watermarks.getOrDefault(epoch.source(), Version.ZERO);
    if (!epoch.version().isAfter(watermark)) {
      if (defect == Defect.WATERMARK_MOVES_BACK) {
        watermarks.put(epoch.source(), epoch.version());
      }
      return new ApplyResult(
          epoch.version(), epoch.writes().stream().map(WriteResult::alreadyApplied).toList());
    }
    long v = epoch.version().asLong();
    List<WriteResult> results = new ArrayList<>();
    for (Write w : epoch.writes()) {
      List<Stored> entries =
          collections
              .computeIfAbsent(w.collection(), c -> new HashMap<>())
              .computeIfAbsent(w.key(), k -> new ArrayList<>());
      boolean present = false;
      for (Stored s : entries) {
        boolean older = Long.compareUnsigned(s.from, v) < 0;
        if (s.from == v) {
          present = true;
        }
        boolean close =
            s.to == Version.OPEN.asLong()
                && (older || (defect == Defect.REAPPLY_CLOSES_ITS_OWN_ENTRY && s.from == v));
        if (close && defect != Defect.IGNORES_CLOSING) {
          s.to = v;
        }
      }
      if (!present && (!w.isDelete() || cache)) {
        Map<String, Object> document = w.document();
        if (document != null && defect == Defect.DROPS_NULL_FIELDS) {
          document = new LinkedHashMap<>(document);
          document.values().removeIf(x -> x == null);
        }
        entries.add(new Stored(v, document));
      }
      results.add(WriteResult.applied(w));
    }
    if (epoch.partial()) {
      return new ApplyResult(epoch.version(), results); // the whole epoch moves the watermark
    }
    applied.put(epoch.source(), epoch.version());
    if (!deferVisibility) {
      watermarks.put(epoch.source(), epoch.version());
    }
    return new ApplyResult(epoch.version(), results);
  }

  @Override
  public synchronized Stamp makeVisible() {
    applied.forEach((source, v) -> watermarks.merge(source, v, Version::max));
    return watermark();
  }

  @Override
  public synchronized Stamp watermark() {
    return Stamp.of(watermarks);
  }

  @Override
  public synchronized long purge(String collection, Version horizon) {
    long h = horizon.asLong();
    long removed = 0;
    for (List<Stored> entries : collections.getOrDefault(collection, Map.of()).values()) {
      for (Iterator<Stored> it = entries.iterator(); it.hasNext(); ) {
        Stored s = it.next();
        boolean gone = Long.compareUnsigned(s.to, h) <= 0;
        if (defect == Defect.PURGES_ENTRY_VISIBLE_AT_HORIZON) {
          gone = Long.compareUnsigned(s.from, h) <= 0 && s.to != Version.OPEN.asLong();
        }
        if (gone) {
          it.remove();
          removed++;
        }
      }
    }
    return removed;
  }

  @Override
  public synchronized Lookup get(String collection, String key, Version at) {
    if (cache && missing(key)) {
      return Lookup.miss();
    }
    for (Stored s : entries(collection, key)) {
      if (VersionRange.visibleAt(s.from, s.to, at.asLong())) {
        return answer(key, s);
      }
    }
    if (cache) {
      List<Stored> entries = entries(collection, key);
      if (defect == Defect.CACHE_ANSWERS_NEWEST && !entries.isEmpty()) {
        return answer(key, entries.get(entries.size() - 1));
      }
      return Lookup.miss();
    }
    return Lookup.absent();
  }

  @Override
  public synchronized Lookup latest(String collection, String key) {
    return get(collection, key, Version.of(Version.OPEN.asLong() - 1));
  }

  @Override
  public synchronized List<Entry> search(String collection, String text, Version at, int size) {
    if (defect == Defect.SEARCH_IGNORES_SNAPSHOT) {
      at = Version.of(Version.OPEN.asLong() - 1);
    }
    List<Entry> hits = new ArrayList<>();
    for (Map.Entry<String, List<Stored>> e :
        collections.getOrDefault(collection, Map.of()).entrySet()) {
      for (Stored s : e.getValue()) {
        if (s.document != null
            && VersionRange.visibleAt(s.from, s.to, at.asLong())
            && s.document.get("title") instanceof String title
            && Arrays.asList(title.split(" ")).contains(text)) {
          hits.add(entry(e.getKey(), s));
        }
      }
    }
    return hits.subList(0, Math.min(size, hits.size()));
  }

  @Override
  public List<Entry> searchLatest(String collection, String text, int size) {
    return search(collection, text, Version.of(Version.OPEN.asLong() - 1), size);
  }

  @Override
  public boolean authoritative() {
    return !cache;
  }

  @Override
  public void close() {}

  private List<Stored> entries(String collection, String key) {
    return collections.getOrDefault(collection, Map.of()).getOrDefault(key, List.of());
  }

  /** A cache that never holds a third of the keys. */
  private static boolean missing(String key) {
    return Math.floorMod(key.hashCode(), 3) == 0;
  }

  private static Lookup answer(String key, Stored s) {
    return s.document == null ? Lookup.absent() : Lookup.found(entry(key, s));
  }

  private static Entry entry(String key, Stored s) {
    return new Entry(key, new VersionRange(Version.of(s.from), Version.of(s.to)), s.document);
  }
}
