package io.tidemark.protocol;

import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Generators of source names, versions and stamps for property tests. */
final class StampArbitraries {

  private StampArbitraries() {}

  static final String FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
  static final String REST = FIRST + "0123456789.-";

  /** Any valid source name, 1-63 characters. */
  static Arbitrary<String> anySourceName() {
    return Combinators.combine(
            Arbitraries.strings().withChars(FIRST).ofLength(1),
            Arbitraries.strings().withChars(REST).ofMaxLength(62))
        .as((first, rest) -> first + rest);
  }

  /** Mostly a few common names, so stamps share sources and lattice operations have work. */
  static Arbitrary<String> sourceNames() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(
            5, Arbitraries.of("listings", "users", "orders", "a", "b_2", "z.z-z")),
        net.jqwik.api.Tuple.of(1, anySourceName()));
  }

  /** Unsigned LSNs, with the edges (0, the sign bit, all ones) likely. */
  static Arbitrary<Version> versions() {
    return Arbitraries.oneOf(
            Arbitraries.longs(),
            Arbitraries.longs().between(0, 64),
            Arbitraries.of(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 0xFFFFFFFFL))
        .map(Version::of);
  }

  /** Versions from a small range, so that equal and neighbouring versions are common. */
  static Arbitrary<Version> smallVersions() {
    return Arbitraries.longs().between(0, 8).map(Version::of);
  }

  static Arbitrary<Stamp> stamps() {
    return stamps(versions(), 8);
  }

  static Arbitrary<Stamp> stamps(Arbitrary<Version> versions, int maxSources) {
    return stamps(versions, 0, maxSources);
  }

  static Arbitrary<Stamp> stamps(Arbitrary<Version> versions, int minSources, int maxSources) {
    return Arbitraries.maps(sourceNames(), versions)
        .ofMinSize(minSources)
        .ofMaxSize(maxSources)
        .map(StampArbitraries::of);
  }

  private static Stamp of(Map<String, Version> map) {
    return Stamp.of(map);
  }
}
