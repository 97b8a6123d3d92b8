package io.tidemark.protocol.store;

import io.tidemark.protocol.Version;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to a key read: {@link Kind#FOUND} with the entry, {@link Kind#ABSENT} (the row did not
 * exist at that version), or {@link Kind#MISS} (a cache does not know; ask an authoritative store).
 */
public final class Lookup {

  /** The three answers. */
  public enum Kind {
    FOUND,
    ABSENT,
    MISS
  }

  private static final Lookup ABSENT = new Lookup(Kind.ABSENT, null);
  private static final Lookup MISS = new Lookup(Kind.MISS, null);

  private final Kind kind;
  private final Entry entry;

  private Lookup(Kind kind, Entry entry) {
    this.kind = kind;
    this.entry = entry;
  }

  public static Lookup found(Entry entry) {
    return new Lookup(Kind.FOUND, Objects.requireNonNull(entry, "entry"));
  }

  public static Lookup absent() {
    return ABSENT;
  }

  public static Lookup miss() {
    return MISS;
  }

  public Kind kind() {
    return kind;
  }

  public boolean isFound() {
    return kind == Kind.FOUND;
  }

  public boolean isMiss() {
    return kind == Kind.MISS;
  }

  /** The entry when found. */
  public Optional<Entry> entry() {
    return Optional.ofNullable(entry);
  }

  /** The document when found. */
  public Optional<Map<String, Object>> document() {
    return entry().map(Entry::document);
  }

  /** The version that wrote the found entry. */
  public Optional<Version> version() {
    return entry().map(e -> e.range().from());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Lookup
        && ((Lookup) o).kind == kind
        && Objects.equals(((Lookup) o).entry, entry);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, entry);
  }

  @Override
  public String toString() {
    return kind == Kind.FOUND ? "found " + entry : kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
