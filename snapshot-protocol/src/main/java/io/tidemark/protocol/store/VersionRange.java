package io.tidemark.protocol.store;

import io.tidemark.protocol.Version;
import java.util.Objects;

/**
 * The versions in which an entry was the source's value: from the version that wrote it ({@code
 * from}) up to, not including, the version that replaced or deleted it ({@code to}, {@link
 * Version#OPEN} while it is current).
 *
 * <p>This is the visibility rule, in one place: an entry is visible at snapshot {@code S} exactly
 * when {@code from ≤ S < to}.
 */
public record VersionRange(Version from, Version to) {

  public VersionRange {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("empty version range [" + from + ", " + to + ")");
    }
  }

  /** A current entry written at {@code from}. */
  public static VersionRange openFrom(Version from) {
    return new VersionRange(from, Version.OPEN);
  }

  /** Whether an entry with this range is the source's value at snapshot {@code at}. */
  public boolean visibleAt(Version at) {
    return visibleAt(from.asLong(), to.asLong(), at.asLong());
  }

  /**
   * The visibility rule on raw LSNs (unsigned), for stores that keep versions as numbers: {@code
   * from ≤ at < to}.
   */
  public static boolean visibleAt(long from, long to, long at) {
    return Long.compareUnsigned(from, at) <= 0 && Long.compareUnsigned(at, to) < 0;
  }

  public boolean isOpen() {
    return to.equals(Version.OPEN);
  }

  /** This range closed at {@code version}. */
  public VersionRange closedAt(Version version) {
    return new VersionRange(from, version);
  }

  @Override
  public String toString() {
    return "[" + from + ", " + (isOpen() ? "open" : to.toString()) + ")";
  }
}
