package io.tidemark.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The fault campaign in CI: a minute and a half of load, longer if needed until every fault kind
 * was injected, then every store compared with the source and the whole history checked. {@code
 * -Dcampaign.minutes=60} makes it a soak. The summary is printed and written to {@code
 * target/campaign-summary.md} and {@code .json}.
 */
class CampaignIT {

  @Test
  void everyFaultKindWithTheCheckerOnFindsNoViolationAndLosesNoRow() throws Exception {
    Campaign.Settings settings = Campaign.Settings.fromSystemProperties();
    // Coordinator logs and state stay for a look after a failure; the next run starts afresh.
    Path folder = Path.of(System.getProperty("campaign.output", "target"), "campaign-run");
    deleteRecursively(folder);
    Summary summary;
    try (Campaign campaign = new Campaign(settings, folder)) {
      summary = campaign.run();
      summary.write(Path.of(System.getProperty("campaign.output", "target")), "campaign-summary");
      System.out.println(summary.markdown());
      assertThat(campaign.crashes()).as("workload threads that crashed").isEmpty();
    }
    assertThat(summary.violations()).as("violations: see target/campaign-summary.md").isZero();
    assertThat(summary.rowsLost()).as("rows lost").isZero();
    assertThat(summary.comparison.problems()).as("stores against the source at the end").isEmpty();
    assertThat(summary.faults.values())
        .as("every fault kind injected at least once: " + summary.faults)
        .allMatch(n -> n >= 1);
    assertThat(summary.report.checked()).as("reads checked").isGreaterThan(1000);
    assertThat((Integer) summary.figures.get("transactions")).as("transactions").isGreaterThan(500);
  }

  static void deleteRecursively(Path folder) throws java.io.IOException {
    if (!java.nio.file.Files.exists(folder)) {
      return;
    }
    try (var paths = java.nio.file.Files.walk(folder)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
  }
}
