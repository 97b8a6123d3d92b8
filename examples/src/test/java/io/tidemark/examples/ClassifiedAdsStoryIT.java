package io.tidemark.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The demo's story in a short configuration on devstack's real stores: reading each store's latest
 * value, some clicks on a search hit find no ad; through Tidemark snapshots, none do.
 */
class ClassifiedAdsStoryIT {

  @Test
  void theLatestRunShows404sAfterSearchAndTheSnapshotRunNone() throws Exception {
    Path workDir = Path.of("target", "classified-ads-it");
    ClassifiedAds.Options options =
        ClassifiedAds.Options.defaults()
            .withRunTime(Duration.ofSeconds(8))
            .withLags(Map.of("search", Duration.ofMillis(300)));
    options =
        new ClassifiedAds.Options(
            options.runTime(),
            options.lags(),
            options.readers(),
            options.viewsPerSecond(),
            options.writesPerSecond(),
            options.liveAds(),
            false,
            workDir);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    ClassifiedAds.Outcome outcome =
        ClassifiedAds.story(options, new PrintStream(printed, true, StandardCharsets.UTF_8));

    String output = printed.toString(StandardCharsets.UTF_8);
    Story.Result latest = outcome.latest();
    Story.Result snapshot = outcome.snapshot();
    assertThat(latest.clicks()).as(output).isGreaterThan(100);
    assertThat(snapshot.clicks()).as(output).isGreaterThan(100);
    assertThat(latest.notFound()).as("404 after search, latest values\n" + output).isPositive();
    assertThat(snapshot.notFound()).as("404 after search, snapshots\n" + output).isZero();
    assertThat(snapshot.stale()).as("stale details, snapshots\n" + output).isZero();
    assertThat(snapshot.errors()).as(snapshot.firstError()).isZero();
    assertThat(output).contains("404 after search").contains("+300 ms in the 'search' lane");
    assertThat(Files.readString(outcome.report())).contains("<svg").doesNotContain("<script");
  }
}
