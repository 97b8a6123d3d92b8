package io.tidemark.protocol.store;

import io.tidemark.protocol.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A run of consecutive source transactions that every store applies as a whole. Its version is the
 * commit LSN of its last transaction; within it each key appears once, with its last value (a hot
 * key updated a hundred times costs one write). Entries written for an epoch start at its version
 * and close older entries there.
 *
 * @param source the source the transactions came from
 * @param version the commit LSN of the epoch's last transaction
 * @param writes at most one per (collection, key), in first-touched order
 *     <p>A <em>partial</em> epoch is one part of a larger one: the initial snapshot of existing
 *     rows, which can be far too large for memory, arrives as several partial epochs at the
 *     snapshot's version, followed by a whole (usually empty) epoch at that same version. A store
 *     applies a partial epoch's writes like any other, idempotently, but does not move its
 *     watermark to the version, and does not count the epoch as applied until the whole one
 *     arrives.
 * @param source the source the transactions came from
 * @param version the commit LSN of the epoch's last transaction
 * @param writes at most one per (collection, key), in first-touched order
 * @param sourceChanges how many source row changes the epoch coalesced into {@code writes}
 * @param partial more writes at this version follow; the watermark must not reach it yet
 */
public record Epoch(
    String source, Version version, List<Write> writes, long sourceChanges, boolean partial) {

  public Epoch {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(version, "version");
    writes = List.copyOf(writes);
  }

  /** A whole epoch. */
  public Epoch(String source, Version version, List<Write> writes, long sourceChanges) {
    this(source, version, writes, sourceChanges, false);
  }

  /** The same epoch (source, version, part or whole) with other writes, e.g. projected ones. */
  public Epoch withWrites(List<Write> writes) {
    return new Epoch(source, version, writes, sourceChanges, partial);
  }

  /** A part of the epoch at {@code version}: see the class comment. */
  public static Epoch part(String source, Version version, List<Write> writes) {
    return new Epoch(source, version, writes, writes.size(), true);
  }

  /** An epoch without writes: it only moves the watermark (progress on an idle source). */
  public static Epoch progress(String source, Version version) {
    return new Epoch(source, version, List.of(), 0);
  }

  public static Builder builder(String source) {
    return new Builder(source);
  }

  /**
   * Coalesces writes: a later write of the same (collection, key) replaces the earlier one in
   * place. Not thread-safe; one builder per epoch being cut.
   */
  public static final class Builder {
    private final String source;
    private final List<Write> writes = new ArrayList<>();
    private final Map<KeyRef, Integer> positions = new HashMap<>();
    private long sourceChanges;

    private Builder(String source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    public Builder add(Write write) {
      sourceChanges++;
      Integer at =
          positions.putIfAbsent(new KeyRef(write.collection(), write.key()), writes.size());
      if (at == null) {
        writes.add(write);
      } else {
        writes.set(at, write);
      }
      return this;
    }

    /** Distinct keys so far. */
    public int size() {
      return writes.size();
    }

    public long sourceChanges() {
      return sourceChanges;
    }

    public Epoch build(Version version) {
      return new Epoch(source, version, writes, sourceChanges);
    }
  }

  private record KeyRef(String collection, String key) {}
}
