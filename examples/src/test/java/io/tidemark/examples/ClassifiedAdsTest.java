package io.tidemark.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassifiedAdsTest {

  @Test
  void theStoryDelaysTheSearchLaneUnlessToldOtherwise() {
    ClassifiedAds.Options o = ClassifiedAds.parse(new String[0]);
    assertThat(o.lags()).isEqualTo(Map.of("search", Duration.ofMillis(300)));
    assertThat(o.serve()).isFalse();
    assertThat(o.delayText()).isEqualTo("+300 ms in the 'search' lane");
  }

  @Test
  void delaysReplaceTheDefaultAndMayBeRepeated() {
    ClassifiedAds.Options o =
        ClassifiedAds.parse(
            new String[] {"--delay", "readdb=1s", "--delay", "cache=150ms", "--seconds", "7"});
    assertThat(o.lags())
        .isEqualTo(Map.of("readdb", Duration.ofSeconds(1), "cache", Duration.ofMillis(150)));
    assertThat(o.runTime()).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void serveRunsAtNaturalSpeedUnlessADelayIsGiven() {
    assertThat(ClassifiedAds.parse(new String[] {"--serve"}).lags()).isEmpty();
    assertThat(ClassifiedAds.parse(new String[] {"--serve", "--delay", "search=1s"}).lags())
        .containsEntry("search", Duration.ofSeconds(1));
    assertThat(ClassifiedAds.parse(new String[] {"--no-delay"}).delayText()).startsWith("none");
  }

  @Test
  void badArgumentsAreRefusedWithWhatWouldBeValid() {
    assertThatThrownBy(() -> ClassifiedAds.parse(new String[] {"--delay", "index=1s"}))
        .hasMessageContaining("search, cache, memo, readdb")
        .hasMessageContaining("index=1s");
    assertThatThrownBy(() -> ClassifiedAds.parse(new String[] {"--delay", "search=soon"}))
        .hasMessageContaining("250ms or 1s");
    assertThatThrownBy(() -> ClassifiedAds.parse(new String[] {"--seconds", "1"}))
        .hasMessageContaining("at least 2");
    assertThatThrownBy(() -> ClassifiedAds.parse(new String[] {"--fast"}))
        .hasMessageContaining("--fast");
  }
}
