package io.tidemark.devstack;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * Folders made once and shared by every JVM of this user (the unpacked Elasticsearch, a PostgreSQL
 * template cluster). Each is built in a staging folder beside its place and renamed into it, so a
 * concurrent JVM sees all of it or nothing; the loser of a race drops its copy.
 */
final class Cache {
  static final String CACHE_PROPERTY = "tidemark.devstack.cacheDir";

  private Cache() {}

  /**
   * {@code -Dtidemark.devstack.cacheDir}, else {@code java.io.tmpdir}/tidemark-cache-USER: per
   * user, so that no user writes into another's, and searchable by others, so that the store
   * account can read it when the JVM runs as root.
   */
  static Path root() throws IOException {
    String configured = System.getProperty(CACHE_PROPERTY);
    Path root =
        configured != null && !configured.isBlank()
            ? Path.of(configured).toAbsolutePath()
            : Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("tidemark-cache-" + System.getProperty("user.name"))
                .toAbsolutePath();
    Files.createDirectories(root);
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    return root;
  }

  /** A new, empty staging folder in the cache root, searchable by others. */
  static Path staging(String what) throws IOException {
    Path staging = root().resolve(".staging-" + what + "-" + UUID.randomUUID());
    Files.createDirectory(staging);
    Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
    return staging;
  }

  /** Renames a finished staging folder into place, unless another JVM got there first. */
  static void publish(Path staging, Path target) throws IOException {
    try {
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
      // Another JVM won the race; its copy is complete.
    } catch (AtomicMoveNotSupportedException e) {
      throw new DevstackException("cannot rename " + staging + " to " + target + ": " + e, e);
    } finally {
      Host.deleteTree(staging);
    }
  }
}
