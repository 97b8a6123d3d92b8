package io.tidemark.connector.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KnownKeysTest {

  @Test
  void everyAddedKeyIsKnownAcrossGrowth() {
    KnownKeys keys = new KnownKeys();
    for (int i = 0; i < 200_000; i++) { // several times the first filter's capacity
      keys.add("key-" + i);
    }
    for (int i = 0; i < 200_000; i++) {
      assertThat(keys.mightContain("key-" + i)).as("key-%d", i).isTrue();
    }
  }

  @Test
  void keysNeverAddedAreMostlyUnknown() {
    KnownKeys keys = new KnownKeys();
    for (int i = 0; i < 100_000; i++) {
      keys.add("key-" + i);
    }
    int falsePositives = 0;
    for (int i = 0; i < 100_000; i++) {
      if (keys.mightContain("other-" + i)) {
        falsePositives++;
      }
    }
    assertThat(falsePositives).as("false positives among 100,000").isLessThan(5_000);
  }

  @Test
  void anEmptySetKnowsNothing() {
    KnownKeys keys = new KnownKeys();
    assertThat(keys.mightContain("")).isFalse();
    assertThat(keys.mightContain("k1")).isFalse();
    keys.add("");
    assertThat(keys.mightContain("")).isTrue();
  }
}
