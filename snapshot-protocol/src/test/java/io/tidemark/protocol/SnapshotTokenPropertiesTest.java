package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Round trips of random stamps, and fuzzed token text checked against a separate reference reading
 * of the grammar: any text either parses to exactly the stamp the reference reads, or throws {@link
 * BadTokenException}, never anything else.
 */
class SnapshotTokenPropertiesTest {

  @Property(tries = 2000)
  void formatThenParseGivesTheSameStamp(@ForAll("roundTripStamps") Stamp stamp) {
    String text = SnapshotToken.format(stamp);
    assertThat(text).startsWith("tm1:").hasSizeLessThanOrEqualTo(SnapshotToken.MAX_LENGTH);
    assertThat(SnapshotToken.parse(text)).isEqualTo(stamp);
    assertThat(SnapshotToken.format(SnapshotToken.parse(text))).isEqualTo(text);
    assertThat(reference(text)).isEqualTo(stamp.asMap());
  }

  @Property(tries = 300)
  void formatEitherRoundTripsOrRefusesWithinTheLimits(@ForAll("bigStamps") Stamp stamp) {
    String text = stamp.toString();
    boolean fits =
        stamp.size() <= SnapshotToken.MAX_SOURCES && text.length() <= SnapshotToken.MAX_LENGTH;
    if (fits) {
      assertThat(SnapshotToken.parse(SnapshotToken.format(stamp))).isEqualTo(stamp);
    } else {
      assertThatThrownBy(() -> SnapshotToken.format(stamp))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Property(tries = 2000)
  void anyOrderOfTheSameElementsParsesToTheSameStamp(
      @ForAll("roundTripStamps") Stamp stamp, @ForAll java.util.Random random) {
    List<String> elements =
        new java.util.ArrayList<>(
            List.of(stamp.token().substring(SnapshotToken.PREFIX.length()).split(",")));
    java.util.Collections.shuffle(elements, random);
    assertThat(SnapshotToken.parse("tm1:" + String.join(",", elements))).isEqualTo(stamp);
  }

  @Property(tries = 5000)
  void arbitraryTextParsesAsTheReferenceSaysOrThrowsBadToken(@ForAll("fuzz") String text) {
    checkAgainstReference(text);
  }

  @Property(tries = 3000)
  void randomBytesDecodedAnyWayParseOrThrowBadToken(@ForAll byte[] bytes) {
    checkAgainstReference(new String(bytes, StandardCharsets.UTF_8));
    checkAgainstReference(new String(bytes, StandardCharsets.ISO_8859_1));
    checkAgainstReference("tm1:" + new String(bytes, StandardCharsets.ISO_8859_1));
  }

  @Property(tries = 3000)
  void mutatedValidTokensParseOrThrowBadToken(
      @ForAll("roundTripStamps") Stamp stamp,
      @ForAll("mutations") List<Tuple.Tuple3<Integer, Integer, Character>> mutations) {
    StringBuilder text = new StringBuilder(stamp.token());
    for (var m : mutations) {
      int at = Math.floorMod(m.get2(), text.length() + 1);
      switch (m.get1()) {
        case 0 -> text.insert(at, m.get3().charValue());
        case 1 -> {
          if (at < text.length()) {
            text.deleteCharAt(at);
          }
        }
        default -> {
          if (at < text.length()) {
            text.setCharAt(at, m.get3());
          }
        }
      }
    }
    checkAgainstReference(text.toString());
    checkAgainstReference(text); // a CharSequence that is not a String
  }

  private static void checkAgainstReference(CharSequence text) {
    Map<String, Version> expected = reference(text.toString());
    Stamp parsed;
    try {
      parsed = SnapshotToken.parse(text);
    } catch (BadTokenException e) {
      assertThat(expected).as("the reference accepts %s, the parser says %s", text, e).isNull();
      assertThat(e.reason()).isNotNull();
      assertThat(e.getMessage()).contains("'" + e.offendingPart() + "'");
      assertThat(e.offendingPart().length()).isLessThanOrEqualTo(80 * 6); // escapes may widen it
      return;
    }
    // Any other exception propagates and fails the property.
    assertThat(expected)
        .as("the reference rejects %s, the parser read %s", text, parsed)
        .isNotNull();
    assertThat(parsed.asMap()).isEqualTo(expected);
    assertThat(SnapshotToken.parse(parsed.token())).isEqualTo(parsed);
  }

  private static final Pattern ELEMENT =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_.\\-]{0,62})@([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");

  /** The grammar read a second, independent way: the stamp's map, or null when invalid. */
  static Map<String, Version> reference(String text) {
    if (text.length() > 4096 || !text.startsWith("tm1:")) {
      return null;
    }
    String[] elements = text.substring(4).split(",", -1);
    if (elements.length > 64) {
      return null;
    }
    Map<String, Version> map = new HashMap<>();
    for (String element : elements) {
      Matcher m = ELEMENT.matcher(element);
      if (!m.matches()) {
        return null;
      }
      long lsn = (Long.parseLong(m.group(2), 16) << 32) | Long.parseLong(m.group(3), 16);
      if (map.put(m.group(1), Version.of(lsn)) != null) {
        return null;
      }
    }
    return map;
  }

  @Provide
  Arbitrary<Stamp> roundTripStamps() {
    return StampArbitraries.stamps(StampArbitraries.versions(), 1, 12);
  }

  @Provide
  Arbitrary<Stamp> bigStamps() {
    return Arbitraries.maps(StampArbitraries.anySourceName(), StampArbitraries.versions())
        .ofMinSize(40)
        .ofMaxSize(70)
        .map(Stamp::of);
  }

  @Provide
  Arbitrary<String> fuzz() {
    Arbitrary<String> tokenAlphabet =
        Arbitraries.strings().withChars("tm1:@/,aAfF09_.-xG \n\u00e9").ofMaxLength(60);
    Arbitrary<String> prefixed = tokenAlphabet.map(s -> "tm1:" + s);
    Arbitrary<String> anyText = Arbitraries.strings().all().ofMaxLength(100);
    Arbitrary<String> longText =
        Arbitraries.strings()
            .withChars("a@0/1,")
            .ofMinLength(4000)
            .ofMaxLength(4200)
            .map(s -> "tm1:" + s);
    return Arbitraries.frequencyOf(
        Tuple.of(3, prefixed),
        Tuple.of(2, tokenAlphabet),
        Tuple.of(2, anyText),
        Tuple.of(1, longText));
  }

  @Provide
  Arbitrary<List<Tuple.Tuple3<Integer, Integer, Character>>> mutations() {
    Arbitrary<Character> chars =
        Arbitraries.oneOf(
            Arbitraries.of(',', '@', '/', ':', 'G', '0', 'f', ' ', '\u0000', '\u00e9'),
            Arbitraries.chars());
    return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers(), chars)
        .as(Tuple::of)
        .list()
        .ofMinSize(1)
        .ofMaxSize(4);
  }
}
