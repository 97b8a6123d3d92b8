package io.tidemark.coordinator;

import io.tidemark.coordinator.sidecar.Sidecar;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code tidemark} command line. Exit codes: 0 done, 1 failed while running, 2 bad usage or
 * configuration.
 */
@Command(
    name = "tidemark",
    mixinStandardHelpOptions = true,
    version = "tidemark 0.1.0",
    description = "Consistent snapshots across the stores a PostgreSQL database is copied into.",
    subcommands = {
      TidemarkCommand.Run.class,
      TidemarkCommand.CheckConfig.class,
      io.tidemark.coordinator.sidecar.SidecarCommand.class,
      io.tidemark.coordinator.migrate.MigrateCommand.class,
      io.tidemark.coordinator.migrate.VerifyCommand.class
    })
public final class TidemarkCommand {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  static int execute(String... args) {
    CommandLine line = new CommandLine(new TidemarkCommand());
    line.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println(e instanceof ConfigException ? e.getMessage() : "tidemark: " + e);
          return e instanceof ConfigException ? USAGE : FAILED;
        });
    return line.execute(args);
  }

  /** {@code tidemark run --config FILE}: the engine, until SIGTERM or Ctrl-C. */
  @Command(name = "run", description = "Run the coordinator until stopped (SIGTERM/Ctrl-C).")
  static final class Run implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "The YAML configuration file.")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
      TidemarkConfig parsed = ConfigLoader.load(config);
      Coordinator coordinator = Coordinator.start(parsed);
      Sidecar sidecar;
      try {
        sidecar = Sidecar.serve(coordinator);
      } catch (RuntimeException e) {
        coordinator.close();
        throw e;
      }
      System.err.println(
          "tidemark: running; sidecar on http://" + parsed.sidecar().host() + ":" + sidecar.port());
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    sidecar.close();
                    coordinator.close(); // finish the epoch in flight, acknowledge, close
                    stopped.countDown();
                  },
                  "tidemark-shutdown"));
      stopped.await();
      return coordinator.healthy() ? OK : FAILED;
    }
  }

  /** {@code tidemark check-config --config FILE}: validate and print a summary. */
  @Command(name = "check-config", description = "Validate a configuration file and exit.")
  static final class CheckConfig implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "The YAML configuration file.")
    Path config;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      TidemarkConfig parsed = ConfigLoader.load(config);
      var out = spec.commandLine().getOut();
      out.println("configuration " + config + " is valid");
      out.println("  source " + parsed.source().name() + " (" + parsed.source().jdbcUrl() + ")");
      parsed.stores().values().stream()
          .sorted(java.util.Comparator.comparing(TidemarkConfig.Store::name))
          .forEach(
              s ->
                  out.println(
                      "  store "
                          + s.name()
                          + ": "
                          + s.kind().name().toLowerCase(java.util.Locale.ROOT)));
      parsed.collections().values().stream()
          .sorted(java.util.Comparator.comparing(TidemarkConfig.Collection::name))
          .forEach(
              c ->
                  out.println(
                      "  collection "
                          + c.name()
                          + " <- "
                          + c.table()
                          + " -> "
                          + new java.util.TreeSet<>(c.stores().keySet())));
      return OK;
    }
  }
}
