package io.tidemark.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.TreeSet;

/**
 * The coordinator's own durable state, one folder per source: the epoch log, the published
 * frontier, the purge horizon, the detached stores, the version of a first snapshot in progress,
 * and the source's offsets.
 */
final class StateDirectory {

  private static final String OFFSETS = "offsets.dat";

  private final Path root;

  StateDirectory(Path stateDir, String source) {
    this.root = stateDir.resolve(source);
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create the state folder " + root + " (set stateDir to a writable folder)", e);
    }
  }

  Path root() {
    return root;
  }

  EpochLog epochLog() {
    return EpochLog.open(root.resolve("epochs.log"));
  }

  FrontierFile frontier() {
    return new FrontierFile(root.resolve("frontier"));
  }

  /** The horizon that purges have used: versions below it may be gone from the stores. */
  FrontierFile horizon() {
    return new FrontierFile(root.resolve("horizon"));
  }

  /**
   * The version of a first snapshot that is being written: stores may hold rows of it before any
   * frontier covers it.
   */
  FrontierFile firstSnapshot() {
    return new FrontierFile(root.resolve("first-snapshot"));
  }

  Path offsets() {
    return root.resolve(OFFSETS);
  }

  /** Where {@code source}'s offsets are kept under {@code stateDir}. */
  static Path offsets(Path stateDir, String source) {
    return stateDir.resolve(source).resolve(OFFSETS);
  }

  /** Whether {@code offsets} holds committed offsets: the source acknowledged something once. */
  static boolean hasOffsets(Path offsets) throws IOException {
    return Files.isRegularFile(offsets) && Files.size(offsets) > 0;
  }

  Set<String> detachedStores() {
    Path file = root.resolve("detached");
    try {
      if (!Files.exists(file)) {
        return Set.of();
      }
      Set<String> stores = new TreeSet<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          stores.add(line.trim());
        }
      }
      return stores;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  synchronized void writeDetachedStores(Set<String> stores) {
    Path file = root.resolve("detached");
    Path temp = root.resolve("detached.tmp");
    try {
      Files.write(temp, new TreeSet<>(stores), StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
