package io.tidemark.devstack;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the stores' programs: on {@code PATH}, and for PostgreSQL also in Debian's versioned
 * folders ({@code /usr/lib/postgresql/15/bin}, newest first). Tests give it another {@code PATH}.
 */
final class Binaries {
  private static final Path DEBIAN_POSTGRES = Path.of("/usr/lib/postgresql");

  private final List<Path> path;
  private final List<Path> postgresDirs;

  Binaries(String pathVariable, List<Path> postgresDirs) {
    List<Path> dirs = new ArrayList<>();
    for (String entry : (pathVariable == null ? "" : pathVariable).split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        dirs.add(Path.of(entry));
      }
    }
    this.path = List.copyOf(dirs);
    this.postgresDirs = List.copyOf(postgresDirs);
  }

  static Binaries system() {
    return new Binaries(System.getenv("PATH"), debianPostgresDirs());
  }

  /** {@code /usr/lib/postgresql/<major>/bin}, the highest major first. */
  static List<Path> debianPostgresDirs() {
    if (!Files.isDirectory(DEBIAN_POSTGRES)) {
      return List.of();
    }
    try (Stream<Path> versions = Files.list(DEBIAN_POSTGRES)) {
      return versions
          .filter(v -> v.getFileName().toString().matches("\\d+"))
          .sorted(
              Comparator.comparingInt((Path v) -> Integer.parseInt(v.getFileName().toString()))
                  .reversed())
          .map(v -> v.resolve("bin"))
          .filter(Files::isDirectory)
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** An executable on {@code PATH}, or a message naming it and the Debian package to install. */
  Path require(String program, String debianPackage) {
    return onPath(program)
        .orElseThrow(() -> new DevstackException(missing(program, "on PATH", debianPackage)));
  }

  /**
   * The folder holding PostgreSQL's server programs: where {@code initdb} is found on {@code PATH}
   * (symbolic links followed, so {@code postgres} is taken from the same installation), else the
   * newest Debian folder.
   */
  Path postgresBin() {
    Optional<Path> initdb = onPath("initdb");
    if (initdb.isEmpty()) {
      initdb =
          postgresDirs.stream()
              .map(d -> d.resolve("initdb"))
              .filter(Binaries::runnable)
              .findFirst();
    }
    Path found =
        initdb.orElseThrow(
            () ->
                new DevstackException(
                    missing("initdb", "on PATH or in /usr/lib/postgresql/*/bin", "postgresql")));
    Path dir = realParent(found);
    if (!runnable(dir.resolve("postgres"))) {
      throw new DevstackException(missing("postgres", "next to " + found, "postgresql"));
    }
    return dir;
  }

  private static String missing(String program, String where, String debianPackage) {
    return program
        + " not found "
        + where
        + ": install it with `apt-get install "
        + debianPackage
        + "`";
  }

  private Optional<Path> onPath(String program) {
    return path.stream().map(d -> d.resolve(program)).filter(Binaries::runnable).findFirst();
  }

  private static Path realParent(Path program) {
    try {
      return program.toRealPath().getParent();
    } catch (IOException e) {
      return program.toAbsolutePath().getParent();
    }
  }

  private static boolean runnable(Path file) {
    return Files.isRegularFile(file) && Files.isExecutable(file);
  }
}
