package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StampTest {

  private static Stamp stamp(Object... sourceVersionPairs) {
    Map<String, Version> map = new LinkedHashMap<>();
    for (int i = 0; i < sourceVersionPairs.length; i += 2) {
      map.put((String) sourceVersionPairs[i], Version.of((Integer) sourceVersionPairs[i + 1]));
    }
    return Stamp.of(map);
  }

  @Test
  void keepsSourcesSortedWhateverTheInputOrder() {
    Stamp stamp = stamp("users", 2, "listings", 1, "orders", 3);
    assertThat(stamp.sources()).containsExactly("listings", "orders", "users");
    assertThat(stamp.asMap().keySet()).containsExactly("listings", "orders", "users");
    assertThat(stamp.token()).isEqualTo("tm1:listings@0/1,orders@0/3,users@0/2");
    assertThat(stamp).isEqualTo(stamp("orders", 3, "listings", 1, "users", 2));
    assertThat(stamp.hashCode())
        .isEqualTo(stamp("orders", 3, "listings", 1, "users", 2).hashCode());
  }

  @Test
  void getsAndSetsSources() {
    Stamp stamp = Stamp.of("listings", Version.of(5));
    assertThat(stamp.get("listings")).contains(Version.of(5));
    assertThat(stamp.get("users")).isEmpty();
    assertThat(stamp.getOrElse("users", Version.ZERO)).isEqualTo(Version.ZERO);
    Stamp two = stamp.with("users", Version.of(7)).with("a", Version.of(1));
    assertThat(two.token()).isEqualTo("tm1:a@0/1,listings@0/5,users@0/7");
    assertThat(two.with("listings", Version.of(9)).get("listings")).contains(Version.of(9));
    assertThat(two.with("listings", Version.of(5))).isSameAs(two);
    assertThat(stamp.get("listings"))
        .as("with() leaves the original alone")
        .contains(Version.of(5));
    assertThat(two.size()).isEqualTo(3);
  }

  @Test
  void coversWhenItNamesEverySourceAtTheSameOrALaterVersion() {
    Stamp ab = stamp("a", 5, "b", 5);
    assertThat(ab.covers(stamp("a", 5))).isTrue();
    assertThat(ab.covers(stamp("a", 4, "b", 5))).isTrue();
    assertThat(ab.covers(stamp("a", 6))).isFalse();
    assertThat(ab.covers(stamp("c", 0))).as("a source it does not name").isFalse();
    assertThat(ab.covers(Stamp.empty())).isTrue();
    assertThat(Stamp.empty().covers(ab)).isFalse();
    assertThat(stamp("a", 4).isCoveredBy(ab)).isTrue();
    // incomparable: each is ahead in one source
    assertThat(stamp("a", 6, "b", 1).covers(ab)).isFalse();
    assertThat(ab.covers(stamp("a", 6, "b", 1))).isFalse();
  }

  @Test
  void coversComparesVersionsUnsigned() {
    Stamp high = Stamp.of("a", Version.of(Long.MIN_VALUE));
    Stamp low = Stamp.of("a", Version.of(Long.MAX_VALUE));
    assertThat(high.covers(low)).isTrue();
    assertThat(low.covers(high)).isFalse();
    assertThat(high.meet(low)).isEqualTo(low);
    assertThat(high.join(low)).isEqualTo(high);
  }

  @Test
  void meetIsThePerSourceMinimumOverSharedSources() {
    assertThat(stamp("a", 5, "b", 3, "c", 9).meet(stamp("b", 4, "c", 1, "d", 2)))
        .isEqualTo(stamp("b", 3, "c", 1));
    assertThat(stamp("a", 1).meet(stamp("b", 1))).isEqualTo(Stamp.empty());
  }

  @Test
  void joinIsThePerSourceMaximumOverAllSources() {
    assertThat(stamp("a", 5, "b", 3, "c", 9).join(stamp("b", 4, "c", 1, "d", 2)))
        .isEqualTo(stamp("a", 5, "b", 4, "c", 9, "d", 2));
    assertThat(Stamp.empty().join(stamp("a", 1))).isEqualTo(stamp("a", 1));
  }

  @Test
  void refusesBadSourceNamesNamingThem() {
    for (String bad : new String[] {"", "1st", "-x", "a b", "a@b", "a,b", "ü", "x".repeat(64)}) {
      assertThatThrownBy(() -> Stamp.of(bad, Version.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
      assertThatThrownBy(() -> Stamp.of(Map.of(bad, Version.ZERO)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Stamp.empty().with(bad, Version.ZERO))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(Stamp.of("x".repeat(63), Version.ZERO).size()).isEqualTo(1);
    assertThat(Stamp.of("_a.b-9", Version.ZERO).size()).isEqualTo(1);
  }

  @Test
  void anEmptyStampHasNoToken() {
    assertThat(Stamp.empty().isEmpty()).isTrue();
    assertThatThrownBy(() -> Stamp.empty().token())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> SnapshotToken.format(Stamp.empty()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Stamp.empty()).hasToString("tm1:(empty)");
  }

  @Test
  void aStampTooBigForATokenRefusesOneRatherThanWriteTextThatWouldNotParse() {
    Map<String, Version> many = new LinkedHashMap<>();
    for (int i = 0; i < SnapshotToken.MAX_SOURCES + 1; i++) {
      many.put("s" + i, Version.of(i));
    }
    Stamp tooMany = Stamp.of(many);
    assertThatThrownBy(tooMany::token)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("65 sources");
    assertThatThrownBy(() -> SnapshotToken.format(tooMany))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most 64 sources");
    assertThat(tooMany.toString()).startsWith("tm1:s0@0/0,s1@0/1");

    Map<String, Version> longNames = new LinkedHashMap<>();
    for (int i = 0; i < 60; i++) {
      longNames.put(String.format("%-63s", "s" + i).replace(' ', 'x'), Version.OPEN);
    }
    Stamp tooLong = Stamp.of(longNames);
    assertThat(tooLong.toString().length()).isGreaterThan(SnapshotToken.MAX_LENGTH);
    assertThatThrownBy(() -> SnapshotToken.format(tooLong))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4096 characters");
  }
}
