package io.tidemark.coordinator.migrate;

import io.tidemark.coordinator.ConfigLoader;
import io.tidemark.coordinator.Durations;
import io.tidemark.coordinator.TidemarkConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tidemark verify}: compares collections in their stores against the source at one fresh
 * snapshot; prints counts and the first differences; exit 0 when there are none, 1 when there are
 * (or keys could not be compared), 2 on bad usage.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "verify",
    description =
        "Compare a collection in its stores against the source at one snapshot; exit 1 on any"
            + " difference.")
public final class VerifyCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, description = "The YAML configuration file.")
  Path config;

  @Option(
      names = "--collection",
      description = "A collection to verify (repeatable; default: every collection).")
  List<String> collections = new ArrayList<>();

  @Option(
      names = "--store",
      description = "A store to verify (repeatable; default: every store of the collections).")
  List<String> stores = new ArrayList<>();

  @Option(
      names = "--max-differences",
      defaultValue = "10",
      description = "How many differences to print (default ${DEFAULT-VALUE}).")
  int maxDifferences;

  @Option(
      names = "--wait",
      defaultValue = "60s",
      description =
          "How long to wait for the frontier to reach the source (default ${DEFAULT-VALUE}).")
  String wait;

  @Option(
      names = "--rounds",
      defaultValue = "5",
      description = "Rounds for keys that changed while being compared (default ${DEFAULT-VALUE}).")
  int rounds;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    TidemarkConfig parsed = ConfigLoader.load(config);
    Verifier.Options options;
    try {
      options =
          new Verifier.Options(
              collections, stores, maxDifferences, Durations.option("--wait", wait), rounds);
      if (rounds < 1 || maxDifferences < 0) {
        throw new IllegalArgumentException(
            "--rounds must be at least 1 and --max-differences at least 0");
      }
      Verifier.Report report =
          new Verifier(parsed, options, Verifier.persistedFrontier(parsed)).run();
      report.lines().forEach(spec.commandLine().getOut()::println);
      return report.clean() ? 0 : 1;
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("tidemark verify: " + e.getMessage());
      return 2;
    }
  }
}
