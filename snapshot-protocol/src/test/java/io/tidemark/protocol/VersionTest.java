package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Locale;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VersionTest {

  @Test
  void printsAsPostgresqlDoes() {
    // PostgreSQL prints pg_lsn as %X/%X: upper case, no leading zeros.
    assertThat(Version.of(0x16B3748L)).hasToString("0/16B3748");
    assertThat(Version.of(0x16_B374D848L)).hasToString("16/B374D848");
    assertThat(Version.ZERO).hasToString("0/0");
    assertThat(Version.OPEN).hasToString("FFFFFFFF/FFFFFFFF");
    assertThat(Version.of(0x1_00000000L)).hasToString("1/0");
    assertThat(Version.of(0xA0L)).hasToString("0/A0");
  }

  @Test
  void parsesWhatPostgresqlAccepts() {
    assertThat(Version.parse("0/16B3748").asLong()).isEqualTo(0x16B3748L);
    assertThat(Version.parse("16/b374d848").asLong()).isEqualTo(0x16_B374D848L);
    assertThat(Version.parse("00000000/016B3748")).isEqualTo(Version.of(0x16B3748L));
    assertThat(Version.parse("FFFFFFFF/FFFFFFFF")).isSameAs(Version.OPEN);
    assertThat(Version.parse("0/0")).isSameAs(Version.ZERO);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "/",
        "0",
        "0/",
        "/0",
        "0/1/2",
        "123456789/0",
        "0/123456789",
        " 0/1",
        "0/1 ",
        "+0/1",
        "-1/1",
        "0x1/1",
        "G/1",
        "0/\u0663", // ARABIC-INDIC DIGIT THREE: Character.digit accepts it, PostgreSQL does not
        "0/\uFF21", // FULLWIDTH LATIN CAPITAL LETTER A
        "0\\1"
      })
  void rejectsAnythingElseNamingTheText(String text) {
    assertThatThrownBy(() -> Version.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'")
        .hasMessageContaining("X/Y");
  }

  @Test
  void rejectsNull() {
    assertThatThrownBy(() -> Version.parse(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("null");
  }

  @Test
  void ordersUnsigned() {
    Version high = Version.of(0x8000_0000_0000_0000L); // negative as a signed long
    Version low = Version.of(Long.MAX_VALUE);
    assertThat(high).isGreaterThan(low);
    assertThat(high.isAfter(low)).isTrue();
    assertThat(low.isBefore(high)).isTrue();
    assertThat(Version.OPEN).isGreaterThan(high);
    assertThat(Version.ZERO).isLessThan(Version.of(1));
    assertThat(Version.max(low, high)).isSameAs(high);
    assertThat(Version.min(low, high)).isSameAs(low);
    assertThat(Version.of(5)).isEqualTo(Version.of(5)).hasSameHashCodeAs(Version.of(5));
    assertThat(Version.of(5)).isNotEqualTo(Version.of(6));
  }

  @Property(tries = 2000)
  void printsExactlyLikePrintfHexAndParsesBack(@ForAll("lsns") long lsn) {
    Version version = Version.of(lsn);
    String expected =
        String.format(Locale.ROOT, "%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL); // PostgreSQL's format
    assertThat(version).hasToString(expected);
    assertThat(Version.parse(expected)).isEqualTo(version);
    assertThat(Version.parse(expected.toLowerCase(Locale.ROOT))).isEqualTo(version);
    String padded = String.format(Locale.ROOT, "%08x/%08X", lsn >>> 32, lsn & 0xFFFFFFFFL);
    assertThat(Version.parse(padded)).isEqualTo(version);
  }

  @Property(tries = 2000)
  void orderIsTheUnsignedOrderOfTheLsns(@ForAll("lsns") long a, @ForAll("lsns") long b) {
    assertThat(Integer.signum(Version.of(a).compareTo(Version.of(b))))
        .isEqualTo(Integer.signum(Long.compareUnsigned(a, b)));
    assertThat(Version.of(a).equals(Version.of(b))).isEqualTo(a == b);
  }

  private static final Pattern PG_LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");

  @Property(tries = 3000)
  void acceptsExactlyWhatPostgresqlAccepts(@ForAll("lsnLikeText") String text) {
    boolean valid = PG_LSN.matcher(text).matches();
    if (valid) {
      String[] parts = text.split("/");
      long expected =
          (Long.parseLong(parts[0], 16) << 32) | Long.parseLong(parts[1], 16); // reference
      assertThat(Version.parse(text).asLong()).isEqualTo(expected);
    } else {
      assertThatThrownBy(() -> Version.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Provide
  Arbitrary<Long> lsns() {
    return Arbitraries.oneOf(
        Arbitraries.longs(),
        Arbitraries.longs().between(0, 0xFFFFFFFFL),
        Arbitraries.of(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 0xFFFFFFFFL, 0x1_00000000L));
  }

  @Provide
  Arbitrary<String> lsnLikeText() {
    return Arbitraries.strings().withChars("0123456789abcdefABCDEFgG/ x+-\u0663").ofMaxLength(20);
  }
}
