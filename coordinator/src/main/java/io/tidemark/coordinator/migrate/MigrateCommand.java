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
 * {@code tidemark migrate backfill|switch}: build a new store (or a new index, schema or
 * projection) beside the running coordinator, then move readers to it. The procedure and why it is
 * exact are in docs/migration.md. Exit codes: 0 done, 1 failed, 2 bad usage or a precondition not
 * met yet.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "migrate",
    description = "Backfill a new store and switch readers to it.",
    subcommands = {MigrateCommand.Backfill.class, MigrateCommand.Switch.class})
public final class MigrateCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** {@code tidemark migrate backfill --config FILE --store NAME [--rate N] [--follow]}. */
  @Command(
      mixinStandardHelpOptions = true,
      name = "backfill",
      description =
          "Build a pending store from a consistent snapshot of the source, then catch it up from"
              + " the live stream. Resumable: run it again after an interruption.")
  static final class Backfill implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "The YAML configuration file.")
    Path config;

    @Option(
        names = "--store",
        required = true,
        description = "The store to build; it must have `migration: pending`.")
    String store;

    @Option(
        names = "--rate",
        defaultValue = "0",
        description = "At most this many rows per second (default: no limit).")
    long rate;

    @Option(
        names = "--follow",
        description = "Keep streaming after catching up, until interrupted (Ctrl-C).")
    boolean follow;

    @Option(
        names = "--progress",
        defaultValue = "1s",
        description = "How often to print progress to stderr (default ${DEFAULT-VALUE}).")
    String progress;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      TidemarkConfig parsed = ConfigLoader.load(config);
      try {
        if (rate < 0) {
          throw new IllegalArgumentException(
              "--rate " + rate + " is negative; use 0 (no limit) or more");
        }
        Backfiller backfiller =
            new Backfiller(
                parsed,
                new Backfiller.Options(
                    store, rate, follow, Durations.option("--progress", progress)),
                spec.commandLine().getErr()::println);
        // Ctrl-C: stop the pipeline cleanly (the next run resumes), then let the JVM exit.
        Thread main = Thread.currentThread();
        Thread hook =
            new Thread(
                () -> {
                  main.interrupt();
                  try {
                    main.join(30_000);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "tidemark-backfill-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
          backfiller.run();
        } finally {
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running
          }
        }
        return 0;
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("tidemark migrate backfill: " + e.getMessage());
        return 2;
      } catch (InterruptedException e) {
        spec.commandLine()
            .getErr()
            .println("tidemark migrate backfill: interrupted; run it again to resume");
        return 1;
      }
    }
  }

  /** {@code tidemark migrate switch --config FILE --from OLD --to NEW [--collection C]}. */
  @Command(
      mixinStandardHelpOptions = true,
      name = "switch",
      description =
          "Move readers of a collection from a store to the attached store that replaces it"
              + " (Elasticsearch: an alias swap; read database: a view), at a point where both"
              + " hold every readable snapshot.")
  static final class Switch implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "The YAML configuration file.")
    Path config;

    @Option(names = "--from", required = true, description = "The store readers use now.")
    String from;

    @Option(
        names = "--to",
        required = true,
        description = "The attached store to read instead (`migration: attached`).")
    String to;

    @Option(
        names = "--collection",
        description = "A collection to switch (repeatable; default: all they share).")
    List<String> collections = new ArrayList<>();

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      TidemarkConfig parsed = ConfigLoader.load(config);
      try {
        new ReaderSwitch(parsed, from, to, collections)
            .run()
            .forEach(spec.commandLine().getOut()::println);
        return 0;
      } catch (IllegalArgumentException | IllegalStateException e) {
        spec.commandLine().getErr().println("tidemark migrate switch: " + e.getMessage());
        return 2;
      }
    }
  }
}
