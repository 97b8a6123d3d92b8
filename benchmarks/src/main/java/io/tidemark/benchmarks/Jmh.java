package io.tidemark.benchmarks;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/** Runs the JMH benchmarks of {@code io.tidemark.benchmarks.jmh} and keeps their scores. */
final class Jmh {

  private Jmh() {}

  static void run(String args, Results results) {
    try {
      CommandLineOptions cli = new CommandLineOptions(args.trim().split("\\s+"));
      var options =
          new OptionsBuilder()
              .parent(cli)
              .include(
                  cli.getIncludes().isEmpty()
                      ? "io\\.tidemark\\.benchmarks\\.jmh\\..*"
                      : String.join("|", cli.getIncludes()))
              .build();
      Collection<RunResult> runs = new Runner(options).run();
      for (RunResult run : runs) {
        var params = run.getParams();
        StringBuilder p = new StringBuilder();
        for (String key : params.getParamsKeys()) {
          p.append(p.length() == 0 ? "" : ", ")
              .append(key)
              .append('=')
              .append(params.getParam(key));
        }
        String name = params.getBenchmark();
        name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
        var primary = run.getPrimaryResult();
        results.jmh.add(
            new Results.JmhScore(
                name,
                p.length() == 0 ? "-" : p.toString(),
                primary.getScore(),
                primary.getScoreError(),
                primary.getScoreUnit()));
      }
    } catch (Exception e) {
      results.jmhError = e.toString();
    }
  }
}
