package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.tidemark.protocol.BadTokenException.Reason;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SnapshotTokenTest {

  @Test
  void parsesTheDesignExamples() {
    assertThat(SnapshotToken.parse("tm1:listings@0/16B3748"))
        .isEqualTo(Stamp.of("listings", Version.of(0x16B3748L)));
    assertThat(SnapshotToken.parse("tm1:listings@0/16B3748,users@1/A0").asMap())
        .isEqualTo(Map.of("listings", Version.of(0x16B3748L), "users", Version.of(0x1_000000A0L)));
    assertThat(Stamp.parse("tm1:listings@0/16B3748"))
        .isEqualTo(SnapshotToken.parse("tm1:listings@0/16B3748"));
  }

  @Test
  void formatsCanonicallySoEqualStampsGiveEqualText() {
    Stamp a = SnapshotToken.parse("tm1:users@1/a0,listings@00/016b3748");
    Stamp b = SnapshotToken.parse("tm1:listings@0/16B3748,users@1/A0");
    assertThat(a).isEqualTo(b);
    assertThat(SnapshotToken.format(a))
        .isEqualTo(SnapshotToken.format(b))
        .isEqualTo("tm1:listings@0/16B3748,users@1/A0");
  }

  @Test
  void acceptsTheLimitsExactly() {
    String sixtyFour =
        IntStream.range(0, 64).mapToObj(i -> "s" + i + "@0/" + i).collect(Collectors.joining(","));
    assertThat(SnapshotToken.parse("tm1:" + sixtyFour).size()).isEqualTo(64);
    String longName = "n" + "x".repeat(62);
    assertThat(SnapshotToken.parse("tm1:" + longName + "@FFFFFFFF/FFFFFFFF").get(longName))
        .contains(Version.OPEN);
    // exactly 4096 characters: 49 elements of 81 (63-character names, zero-padded LSNs) and a
    // last one of 74, plus 49 commas and the prefix
    StringBuilder text = new StringBuilder("tm1:");
    for (int i = 0; i < 49; i++) {
      text.append(i == 0 ? "" : ",").append(name("s" + i, 63)).append("@00000000/0000000A");
    }
    String exact = text + "," + name("last", 56) + "@00000000/00000000";
    assertThat(exact).hasSize(4096);
    assertThat(SnapshotToken.parse(exact).get(name("last", 56))).contains(Version.ZERO);
    String oneMore = text + "," + name("last", 57) + "@00000000/00000000";
    assertThat(refusal(oneMore).reason()).isEqualTo(Reason.TOO_LONG);
  }

  private static String name(String prefix, int length) {
    return prefix + "x".repeat(length - prefix.length());
  }

  private static BadTokenException refusal(String text) {
    return catchThrowableOfType(BadTokenException.class, () -> SnapshotToken.parse(text));
  }

  @ParameterizedTest(name = "{0} -> {1} quoting {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "''                          | EMPTY            | ''",
        "tm1:                        | EMPTY            | tm1:",
        "tm1:a@0/1,,b@0/2            | EMPTY            | tm1:a@0/1,,b@0/2",
        "tm1:a@0/1,                  | EMPTY            | tm1:a@0/1,",
        "tm1:,a@0/1                  | EMPTY            | tm1:,a@0/1",
        "tm2:a@0/1                   | WRONG_PREFIX     | tm2:a@0/1",
        "TM1:a@0/1                   | WRONG_PREFIX     | TM1:a@0/1",
        "a@0/1                       | WRONG_PREFIX     | a@0/1",
        "tm1                         | WRONG_PREFIX     | tm1",
        "tm1:listings                | BAD_ELEMENT      | listings",
        "tm1:a@0/1,users             | BAD_ELEMENT      | users",
        "tm1:1abc@0/1                | BAD_SOURCE_NAME  | 1abc",
        "tm1:@0/1                    | BAD_SOURCE_NAME  | ''",
        "tm1:a b@0/1                 | BAD_SOURCE_NAME  | a b",
        "tm1:lïstings@0/1            | BAD_SOURCE_NAME  | lïstings",
        "tm1:a@0/G                   | BAD_LSN          | 0/G",
        "tm1:a@                      | BAD_LSN          | ''",
        "tm1:a@123456789/0           | BAD_LSN          | 123456789/0",
        "tm1:a@0/1@2                 | BAD_LSN          | 0/1@2",
        "tm1:a@0/1                   | -                | -",
        "tm1:a@0/1,b@0/2,a@0/3       | DUPLICATE_SOURCE | a",
        "tm1:b@0/1,a@0/1,b@0/1       | DUPLICATE_SOURCE | b",
      })
  void eachRuleHasItsReasonAndQuotesTheOffendingPart(String text, String reason, String part) {
    if (reason.equals("-")) {
      assertThat(SnapshotToken.parse(text).size()).isEqualTo(1);
      return;
    }
    BadTokenException e = refusal(text);
    assertThat(e).as("parsing %s", text).isNotNull();
    assertThat(e.reason()).isEqualTo(Reason.valueOf(reason));
    assertThat(e.offendingPart()).isEqualTo(part);
    assertThat(e.getMessage())
        .startsWith("bad token (" + reason.toLowerCase() + "): '" + part + "'")
        .contains("tm1:listings@0/16B3748");
  }

  @Test
  void trailingSpaceIsABadLsnNotSilentlyTrimmed() {
    BadTokenException e = refusal("tm1:a@0/1 ");
    assertThat(e.reason()).isEqualTo(Reason.BAD_LSN);
    assertThat(e.offendingPart()).isEqualTo("0/1 ");
  }

  @Test
  void nullIsEmpty() {
    BadTokenException e = refusal(null);
    assertThat(e.reason()).isEqualTo(Reason.EMPTY);
    assertThat(e.getMessage()).contains("'null'");
  }

  @Test
  void moreThan64SourcesQuotesTheFirstOneTooMany() {
    String text =
        "tm1:"
            + IntStream.range(0, 65)
                .mapToObj(i -> "s" + i + "@0/" + Integer.toHexString(i))
                .collect(Collectors.joining(","));
    BadTokenException e = refusal(text);
    assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_SOURCES);
    assertThat(e.offendingPart()).isEqualTo("s64@0/40");
    assertThat(e.getMessage()).contains("'s64@0/40'").contains("at most 64 sources");
  }

  @Test
  void moreThan4096CharactersIsTooLongAndTheQuoteIsCut() {
    String text = "tm1:a@0/1," + "b".repeat(4096 - 10 + 1);
    assertThat(text).hasSize(4097);
    BadTokenException e = refusal(text);
    assertThat(e.reason()).isEqualTo(Reason.TOO_LONG);
    assertThat(e.offendingPart()).hasSize(80).startsWith("tm1:a@0/1,bbb").endsWith("...");
    assertThat(e.getMessage()).contains("4097 characters").contains("at most 4096");
    assertThat(e.getMessage().length()).isLessThan(300);
  }

  @Test
  void controlCharactersAreEscapedInTheQuoteSoTheyCannotForgeLogLines() {
    BadTokenException e = refusal("tm1:a\n@0/1");
    assertThat(e.reason()).isEqualTo(Reason.BAD_SOURCE_NAME);
    assertThat(e.offendingPart()).isEqualTo("a\\u000A");
    assertThat(e.getMessage()).doesNotContain("\n").contains("'a\\u000A'");
    assertThat(refusal("tm1:a@0/1\r\nX-Evil: 1").getMessage()).doesNotContain("\r", "\n");
  }

  @Test
  void isAnIllegalArgumentExceptionSoGenericHandlersTreatItAsBadInput() {
    assertThatThrownBy(() -> SnapshotToken.parse("nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .isExactlyInstanceOf(BadTokenException.class);
  }
}
