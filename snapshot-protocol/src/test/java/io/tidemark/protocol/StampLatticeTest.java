package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The order and lattice laws of stamps: covers is a partial order, meet and join are its greatest
 * lower and least upper bounds. Versions come from a small range so ties and overlaps are common.
 */
class StampLatticeTest {

  @Provide
  Arbitrary<Stamp> stamps() {
    return StampArbitraries.stamps(StampArbitraries.smallVersions(), 5);
  }

  @Property
  void meetAndJoinAreCommutative(@ForAll("stamps") Stamp a, @ForAll("stamps") Stamp b) {
    assertThat(a.meet(b)).isEqualTo(b.meet(a));
    assertThat(a.join(b)).isEqualTo(b.join(a));
  }

  @Property
  void meetAndJoinAreAssociative(
      @ForAll("stamps") Stamp a, @ForAll("stamps") Stamp b, @ForAll("stamps") Stamp c) {
    assertThat(a.meet(b).meet(c)).isEqualTo(a.meet(b.meet(c)));
    assertThat(a.join(b).join(c)).isEqualTo(a.join(b.join(c)));
  }

  @Property
  void meetAndJoinAreIdempotent(@ForAll("stamps") Stamp a) {
    assertThat(a.meet(a)).isEqualTo(a);
    assertThat(a.join(a)).isEqualTo(a);
  }

  @Property
  void absorption(@ForAll("stamps") Stamp a, @ForAll("stamps") Stamp b) {
    assertThat(a.meet(a.join(b))).isEqualTo(a);
    assertThat(a.join(a.meet(b))).isEqualTo(a);
  }

  @Property
  void coversIsReflexiveAndAntisymmetric(@ForAll("stamps") Stamp a, @ForAll("stamps") Stamp b) {
    assertThat(a.covers(a)).isTrue();
    if (a.covers(b) && b.covers(a)) {
      assertThat(a).isEqualTo(b);
    }
  }

  @Property
  void coversIsTransitive(
      @ForAll("stamps") Stamp a, @ForAll("stamps") Stamp b, @ForAll("stamps") Stamp c) {
    // a random triple is rarely a chain, so build one too
    Stamp below = a.meet(b).meet(c);
    Stamp middle = a.meet(b);
    assertThat(middle.covers(below) && a.covers(middle)).isTrue();
    assertThat(a.covers(below)).isTrue();
    if (a.covers(b) && b.covers(c)) {
      assertThat(a.covers(c)).isTrue();
    }
  }

  @Property
  void coversIsConsistentWithMeetAndJoin(@ForAll("stamps") Stamp a, @ForAll("stamps") Stamp b) {
    // the lattice order: a ⊒ b ⇔ a ⊓ b = b ⇔ a ⊔ b = a
    assertThat(a.covers(b)).isEqualTo(a.meet(b).equals(b));
    assertThat(a.covers(b)).isEqualTo(a.join(b).equals(a));
    assertThat(b.isCoveredBy(a)).isEqualTo(a.covers(b));
  }

  @Property
  void meetIsTheGreatestLowerBound(
      @ForAll("stamps") Stamp a, @ForAll("stamps") Stamp b, @ForAll("stamps") Stamp c) {
    Stamp meet = a.meet(b);
    assertThat(a.covers(meet) && b.covers(meet)).isTrue();
    Stamp lower = c.meet(a).meet(b); // a lower bound of a and b built from c
    assertThat(meet.covers(lower)).isTrue();
    if (a.covers(c) && b.covers(c)) {
      assertThat(meet.covers(c)).isTrue();
    }
  }

  @Property
  void joinIsTheLeastUpperBound(
      @ForAll("stamps") Stamp a, @ForAll("stamps") Stamp b, @ForAll("stamps") Stamp c) {
    Stamp join = a.join(b);
    assertThat(join.covers(a) && join.covers(b)).isTrue();
    Stamp upper = c.join(a).join(b); // an upper bound of a and b built from c
    assertThat(upper.covers(join)).isTrue();
    if (c.covers(a) && c.covers(b)) {
      assertThat(c.covers(join)).isTrue();
    }
  }

  @Property
  void meetAndJoinMatchAPerSourceModel(@ForAll("stamps") Stamp a, @ForAll("stamps") Stamp b) {
    Map<String, Version> x = a.asMap();
    Map<String, Version> y = b.asMap();
    TreeSet<String> union = new TreeSet<>(x.keySet());
    union.addAll(y.keySet());
    for (String source : union) {
      Version vx = x.get(source);
      Version vy = y.get(source);
      if (vx != null && vy != null) {
        assertThat(a.meet(b).get(source)).contains(Version.min(vx, vy));
        assertThat(a.join(b).get(source)).contains(Version.max(vx, vy));
      } else {
        assertThat(a.meet(b).get(source)).isEmpty();
        assertThat(a.join(b).get(source)).contains(vx != null ? vx : vy);
      }
    }
    assertThat(a.join(b).sources()).isEqualTo(union);
  }

  @Property
  void fullRangeVersionsObeyTheLawsToo(
      @ForAll("wideStamps") Stamp a, @ForAll("wideStamps") Stamp b, @ForAll("wideStamps") Stamp c) {
    assertThat(a.meet(b).meet(c)).isEqualTo(a.meet(b.meet(c)));
    assertThat(a.join(b).join(c)).isEqualTo(a.join(b.join(c)));
    assertThat(a.meet(a.join(b))).isEqualTo(a);
    assertThat(a.covers(b)).isEqualTo(a.meet(b).equals(b));
  }

  @Provide
  Arbitrary<Stamp> wideStamps() {
    return StampArbitraries.stamps();
  }
}
