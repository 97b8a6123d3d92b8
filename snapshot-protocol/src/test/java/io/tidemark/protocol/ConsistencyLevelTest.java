package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConsistencyLevelTest {

  @Test
  void parsesNamesInAnyCase() {
    assertThat(ConsistencyLevel.parse("snapshot")).isEqualTo(ConsistencyLevel.SNAPSHOT);
    assertThat(ConsistencyLevel.parse("AT_LEAST")).isEqualTo(ConsistencyLevel.AT_LEAST);
    assertThat(ConsistencyLevel.parse("at-least")).isEqualTo(ConsistencyLevel.AT_LEAST);
    assertThat(ConsistencyLevel.parse(" Latest ")).isEqualTo(ConsistencyLevel.LATEST);
  }

  @Test
  void refusesAnythingElseNamingTheValidOnes() {
    for (String bad : new String[] {"", "exact", "at least", null}) {
      assertThatThrownBy(() -> ConsistencyLevel.parse(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("snapshot, at_least or latest");
    }
  }
}
