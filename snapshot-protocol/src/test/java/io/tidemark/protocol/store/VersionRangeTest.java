package io.tidemark.protocol.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.protocol.Version;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class VersionRangeTest {

  private static Version v(long lsn) {
    return Version.of(lsn);
  }

  @Test
  void visibleFromItsStartUpToButNotIncludingItsEnd() {
    VersionRange range = new VersionRange(v(10), v(20));
    assertThat(range.visibleAt(v(9))).isFalse();
    assertThat(range.visibleAt(v(10))).isTrue();
    assertThat(range.visibleAt(v(19))).isTrue();
    assertThat(range.visibleAt(v(20))).isFalse();
    assertThat(range.isOpen()).isFalse();
    assertThat(range).hasToString("[0/A, 0/14)");
  }

  @Test
  void anOpenRangeIsVisibleFromItsStartOn() {
    VersionRange open = VersionRange.openFrom(v(10));
    assertThat(open.isOpen()).isTrue();
    assertThat(open.visibleAt(v(10))).isTrue();
    assertThat(open.visibleAt(v(Long.MIN_VALUE))).isTrue();
    assertThat(open.visibleAt(Version.OPEN))
        .as("OPEN itself is not a version anyone reads at")
        .isFalse();
    assertThat(open).hasToString("[0/A, open)");
  }

  @Test
  void closingAtAVersionEndsIt() {
    VersionRange closed = VersionRange.openFrom(v(10)).closedAt(v(15));
    assertThat(closed).isEqualTo(new VersionRange(v(10), v(15)));
    assertThat(closed.visibleAt(v(15))).isFalse();
    assertThatThrownBy(() -> VersionRange.openFrom(v(10)).closedAt(v(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[0/A, 0/A)");
  }

  @Test
  void refusesEmptyAndBackwardRanges() {
    assertThatThrownBy(() -> new VersionRange(v(5), v(5)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new VersionRange(v(6), v(5)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VersionRange.openFrom(Version.OPEN))
        .isInstanceOf(IllegalArgumentException.class);
    // unsigned: the sign bit is a high version, not a negative one
    assertThatThrownBy(() -> new VersionRange(v(Long.MIN_VALUE), v(Long.MAX_VALUE)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new VersionRange(v(Long.MAX_VALUE), v(Long.MIN_VALUE)).visibleAt(v(Long.MAX_VALUE)))
        .isTrue();
  }

  @Property(tries = 2000)
  void rawRuleMatchesTheTypedRuleAndTheUnsignedDefinition(
      @ForAll long from, @ForAll long to, @ForAll long at) {
    boolean expected = Long.compareUnsigned(from, at) <= 0 && Long.compareUnsigned(at, to) < 0;
    assertThat(VersionRange.visibleAt(from, to, at)).isEqualTo(expected);
    if (Long.compareUnsigned(from, to) < 0) {
      assertThat(new VersionRange(v(from), v(to)).visibleAt(v(at))).isEqualTo(expected);
    }
  }

  @Property(tries = 1000)
  void consecutiveRangesShowExactlyOneEntryAtEveryVersion(
      @ForAll long a, @ForAll long b, @ForAll long at) {
    // an entry written at a and replaced at b, then the replacement still open: at any version
    // from a on exactly one of them is visible, before a none
    long lo = Long.compareUnsigned(a, b) < 0 ? a : b;
    long hi = Long.compareUnsigned(a, b) < 0 ? b : a;
    if (lo == hi || hi == -1L) {
      return;
    }
    VersionRange old = new VersionRange(v(lo), v(hi));
    VersionRange current = VersionRange.openFrom(v(hi));
    int visible = (old.visibleAt(v(at)) ? 1 : 0) + (current.visibleAt(v(at)) ? 1 : 0);
    boolean atOrAfterStart = Long.compareUnsigned(at, lo) >= 0 && at != -1L;
    assertThat(visible).isEqualTo(atOrAfterStart ? 1 : 0);
  }
}
