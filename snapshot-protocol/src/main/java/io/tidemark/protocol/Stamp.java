package io.tidemark.protocol;

import io.tidemark.protocol.BadTokenException.Reason;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A map source → {@link Version}: with one source a single position, with several a vector.
 * Immutable; sources are kept sorted, so equal stamps have equal {@link #token() tokens}.
 *
 * <p>Stamps are partially ordered: {@code a} is {@linkplain #covers covered} by {@code b} when
 * {@code b} names every source of {@code a} at the same or a later version. {@link #meet}
 * (per-source minimum over the sources both name) and {@link #join} (per-source maximum over the
 * sources either names) make them a lattice.
 */
public final class Stamp {

  private static final Stamp EMPTY = new Stamp(new String[0], new long[0]);

  private final String[] sources; // sorted, distinct
  private final long[] versions; // unsigned LSNs, parallel to sources
  private String token; // cached; racy single-check is fine for an immutable value

  private Stamp(String[] sources, long[] versions) {
    this.sources = sources;
    this.versions = versions;
  }

  public static Stamp empty() {
    return EMPTY;
  }

  public static Stamp of(String source, Version version) {
    requireSourceName(source);
    return new Stamp(new String[] {source}, new long[] {version.asLong()});
  }

  public static Stamp of(Map<String, Version> entries) {
    TreeMap<String, Version> sorted = new TreeMap<>(entries);
    String[] sources = new String[sorted.size()];
    long[] versions = new long[sorted.size()];
    int i = 0;
    for (Map.Entry<String, Version> e : sorted.entrySet()) {
      requireSourceName(e.getKey());
      sources[i] = e.getKey();
      versions[i++] =
          Objects.requireNonNull(e.getValue(), () -> "no version for " + e.getKey()).asLong();
    }
    return new Stamp(sources, versions);
  }

  /** Parses token text; see {@link SnapshotToken#parse}. */
  public static Stamp parse(CharSequence token) {
    return SnapshotToken.parse(token);
  }

  /**
   * A stamp from the parser's parallel arrays (any order). Sorts in place: a token names few
   * sources, so an insertion sort beats boxing indices for a comparator.
   */
  static Stamp fromParsed(String[] sources, long[] versions, int count) {
    for (int i = 1; i < count; i++) {
      String source = sources[i];
      long version = versions[i];
      int j = i - 1;
      while (j >= 0 && sources[j].compareTo(source) > 0) {
        sources[j + 1] = sources[j];
        versions[j + 1] = versions[j];
        j--;
      }
      sources[j + 1] = source;
      versions[j + 1] = version;
    }
    for (int i = 1; i < count; i++) {
      if (sources[i].equals(sources[i - 1])) {
        throw new BadTokenException(
            Reason.DUPLICATE_SOURCE, sources[i], "each source appears once in a token");
      }
    }
    return new Stamp(Arrays.copyOf(sources, count), Arrays.copyOf(versions, count));
  }

  private static void requireSourceName(String source) {
    if (source == null || !SnapshotToken.isSourceName(source, 0, source.length())) {
      throw new IllegalArgumentException(
          "bad source name '"
              + source
              + "': use 1-63 characters of letters, digits, _ . - starting with a letter or _");
    }
  }

  /** This stamp with {@code source} set to {@code version}. */
  public Stamp with(String source, Version version) {
    int i = Arrays.binarySearch(sources, source);
    if (i >= 0) {
      if (versions[i] == version.asLong()) {
        return this;
      }
      long[] v = versions.clone();
      v[i] = version.asLong();
      return new Stamp(sources, v);
    }
    requireSourceName(source);
    int at = -i - 1;
    String[] s = new String[sources.length + 1];
    long[] v = new long[sources.length + 1];
    System.arraycopy(sources, 0, s, 0, at);
    System.arraycopy(versions, 0, v, 0, at);
    s[at] = source;
    v[at] = version.asLong();
    System.arraycopy(sources, at, s, at + 1, sources.length - at);
    System.arraycopy(versions, at, v, at + 1, sources.length - at);
    return new Stamp(s, v);
  }

  /** The version of {@code source}, if this stamp names it. */
  public Optional<Version> get(String source) {
    int i = Arrays.binarySearch(sources, source);
    return i >= 0 ? Optional.of(Version.of(versions[i])) : Optional.empty();
  }

  /** The version of {@code source}, or {@code fallback} when this stamp does not name it. */
  public Version getOrElse(String source, Version fallback) {
    int i = Arrays.binarySearch(sources, source);
    return i >= 0 ? Version.of(versions[i]) : fallback;
  }

  /** The sources this stamp names, sorted. */
  public SortedSet<String> sources() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(Arrays.asList(sources)));
  }

  public boolean isEmpty() {
    return sources.length == 0;
  }

  public int size() {
    return sources.length;
  }

  /** Source → version, sorted by source, unmodifiable. */
  public Map<String, Version> asMap() {
    TreeMap<String, Version> map = new TreeMap<>();
    for (int i = 0; i < sources.length; i++) {
      map.put(sources[i], Version.of(versions[i]));
    }
    return Collections.unmodifiableSortedMap(map);
  }

  /** Whether every source of {@code other} is in this stamp at the same or a later version. */
  public boolean covers(Stamp other) {
    for (int j = 0; j < other.sources.length; j++) {
      int i = indexOf(other.sources[j]);
      if (i < 0 || Long.compareUnsigned(versions[i], other.versions[j]) < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether no source that both stamps name is at a lower version here than in {@code floor}
   * (sources only one of them names are not compared).
   */
  boolean isAtOrAbove(Stamp floor) {
    for (int i = 0, j = 0; i < sources.length && j < floor.sources.length; ) {
      int c = sources[i].compareTo(floor.sources[j]);
      if (c == 0) {
        if (Long.compareUnsigned(versions[i], floor.versions[j]) < 0) {
          return false;
        }
        i++;
        j++;
      } else if (c < 0) {
        i++;
      } else {
        j++;
      }
    }
    return true;
  }

  public boolean isCoveredBy(Stamp other) {
    return other.covers(this);
  }

  /** Per-source minimum over the sources both stamps name (greatest lower bound). */
  public Stamp meet(Stamp other) {
    String[] s = new String[Math.min(sources.length, other.sources.length)];
    long[] v = new long[s.length];
    int n = 0;
    for (int i = 0, j = 0; i < sources.length && j < other.sources.length; ) {
      int c = sources[i].compareTo(other.sources[j]);
      if (c == 0) {
        s[n] = sources[i];
        v[n++] =
            Long.compareUnsigned(versions[i], other.versions[j]) <= 0
                ? versions[i]
                : other.versions[j];
        i++;
        j++;
      } else if (c < 0) {
        i++;
      } else {
        j++;
      }
    }
    return new Stamp(Arrays.copyOf(s, n), Arrays.copyOf(v, n));
  }

  /** Per-source maximum over the sources either stamp names (least upper bound). */
  public Stamp join(Stamp other) {
    String[] s = new String[sources.length + other.sources.length];
    long[] v = new long[s.length];
    int n = 0;
    int i = 0;
    int j = 0;
    while (i < sources.length || j < other.sources.length) {
      int c =
          i == sources.length
              ? 1
              : j == other.sources.length ? -1 : sources[i].compareTo(other.sources[j]);
      if (c == 0) {
        s[n] = sources[i];
        v[n++] =
            Long.compareUnsigned(versions[i], other.versions[j]) >= 0
                ? versions[i]
                : other.versions[j];
        i++;
        j++;
      } else if (c < 0) {
        s[n] = sources[i];
        v[n++] = versions[i++];
      } else {
        s[n] = other.sources[j];
        v[n++] = other.versions[j++];
      }
    }
    return new Stamp(Arrays.copyOf(s, n), Arrays.copyOf(v, n));
  }

  private int indexOf(String source) {
    if (sources.length == 1) {
      return sources[0].equals(source) ? 0 : -1;
    }
    return Arrays.binarySearch(sources, source);
  }

  /**
   * The canonical token text, e.g. {@code tm1:listings@0/16B3748}.
   *
   * @throws IllegalStateException when the stamp is empty, or names more than {@value
   *     SnapshotToken#MAX_SOURCES} sources or is too long for a token ({@value
   *     SnapshotToken#MAX_LENGTH} characters): such text would not parse back
   */
  public String token() {
    String t = token;
    if (t == null) {
      if (isEmpty()) {
        throw new IllegalStateException("an empty stamp has no token: name at least one source");
      }
      t = text();
      if (sources.length > SnapshotToken.MAX_SOURCES || t.length() > SnapshotToken.MAX_LENGTH) {
        throw new IllegalStateException(
            "a stamp of "
                + sources.length
                + " sources and "
                + t.length()
                + " characters has no token: a token names at most "
                + SnapshotToken.MAX_SOURCES
                + " sources in at most "
                + SnapshotToken.MAX_LENGTH
                + " characters");
      }
      token = t;
    }
    return t;
  }

  private String text() {
    StringBuilder b = new StringBuilder(SnapshotToken.PREFIX.length() + 28 * sources.length);
    b.append(SnapshotToken.PREFIX);
    for (int i = 0; i < sources.length; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(sources[i]).append('@');
      Version.appendTo(b, versions[i]);
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Stamp
        && Arrays.equals(sources, ((Stamp) o).sources)
        && Arrays.equals(versions, ((Stamp) o).versions);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(sources) + Arrays.hashCode(versions);
  }

  @Override
  public String toString() {
    String t = token;
    return t != null ? t : isEmpty() ? "tm1:(empty)" : text();
  }
}
