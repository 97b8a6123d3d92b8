package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Arbitrary sequences of reports (rising, falling, missing sources), detaches and re-attaches,
 * checked step by step against a model: published = published ⊔ ⊓(attached watermarks).
 */
class FrontierTrackerPropertiesTest {

  private static final List<String> STORES = List.of("search", "cache", "readdb");

  /** One step: a store reports a watermark, or is detached, or is attached again. */
  record Step(int kind, int store, Stamp watermark) {
    static final int REPORT = 0;
    static final int DETACH = 1;
    static final int ATTACH = 2;

    @Override
    public String toString() {
      String name = STORES.get(store);
      return switch (kind) {
        case REPORT -> name + " reports " + watermark;
        case DETACH -> "detach " + name;
        default -> "attach " + name;
      };
    }
  }

  @Property(tries = 1000)
  void publishesExactlyTheModelAndNeverMovesBack(
      @ForAll("seeds") Stamp seed, @ForAll("steps") List<Step> steps) {
    FrontierTracker tracker = new FrontierTracker(STORES, seed);
    List<Stamp> heard = new ArrayList<>();
    tracker.addListener(heard::add);

    Map<String, Stamp> model = new LinkedHashMap<>();
    STORES.forEach(store -> model.put(store, Stamp.empty()));
    Stamp expected = seed;
    for (Step step : steps) {
      String store = STORES.get(step.store());
      Stamp before = tracker.frontier();
      boolean moved;
      switch (step.kind()) {
        case Step.REPORT -> {
          moved = tracker.report(store, step.watermark());
          if (model.containsKey(store)) {
            model.put(store, step.watermark());
          }
        }
        case Step.DETACH -> {
          tracker.detach(store);
          model.remove(store);
          moved = !tracker.frontier().equals(before);
        }
        default -> {
          tracker.attach(store);
          model.putIfAbsent(store, Stamp.empty());
          moved = false;
        }
      }
      if (!model.isEmpty()) {
        Stamp computed = null;
        for (Stamp watermark : model.values()) {
          computed = computed == null ? watermark : computed.meet(watermark);
        }
        expected = expected.join(computed);
      }
      Stamp now = tracker.frontier();
      assertThat(now).as("after %s", step).isEqualTo(expected);
      assertThat(now.covers(before)).as("never back, after %s", step).isTrue();
      assertThat(moved)
          .as("report() says whether it moved, after %s", step)
          .isEqualTo(!now.equals(before));
      assertThat(tracker.stores()).containsExactlyInAnyOrderElementsOf(model.keySet());
    }

    // listeners heard each move, in order, and nothing else
    Stamp last = seed;
    for (Stamp stamp : heard) {
      assertThat(stamp.covers(last)).isTrue();
      assertThat(stamp).isNotEqualTo(last);
      last = stamp;
    }
    assertThat(last).isEqualTo(tracker.frontier());
  }

  @Provide
  Arbitrary<Stamp> seeds() {
    return Arbitraries.oneOf(
        Arbitraries.just(Stamp.empty()),
        StampArbitraries.stamps(StampArbitraries.smallVersions(), 2));
  }

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Stamp> watermarks =
        Arbitraries.maps(
                Arbitraries.of("a", "b", "c"), Arbitraries.longs().between(0, 12).map(Version::of))
            .ofMaxSize(3)
            .map(Stamp::of);
    Arbitrary<Integer> kinds =
        Arbitraries.frequency(
            net.jqwik.api.Tuple.of(12, Step.REPORT),
            net.jqwik.api.Tuple.of(1, Step.DETACH),
            net.jqwik.api.Tuple.of(1, Step.ATTACH));
    return Combinators.combine(
            kinds, Arbitraries.integers().between(0, STORES.size() - 1), watermarks)
        .as(Step::new)
        .list()
        .ofMaxSize(40);
  }
}
