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
 * @param sourceChanges how many source row changes the epoch coalesced into {@code writes}
 */
public record Epoch(String source, Version version, List<Write> writes, long sourceChanges) {

  public Epoch {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(version, "version");
    writes = List.copyOf(writes);
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
