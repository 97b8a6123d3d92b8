package io.tidemark.devstack;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Who runs the stores. As a normal user: that user, nothing special. As root (CI): PostgreSQL and
 * Elasticsearch refuse root, so every store runs as an unprivileged system account (created when
 * missing) through {@code setpriv}, and owns its folder.
 */
final class Host {
  static final String DEFAULT_SERVICE_USER = "tidemark-stack";

  private final String serviceUser;
  private volatile Path setpriv;
  private volatile String uid;
  private volatile String gid;

  private Host(String serviceUser) {
    this.serviceUser = serviceUser;
  }

  /** The host as this JVM sees it; {@code serviceUser} is used only when the JVM runs as root. */
  static Host current(String serviceUser) {
    return new Host(isRoot() ? serviceUser : null);
  }

  static boolean isRoot() {
    return new UnixSystem().getUid() == 0;
  }

  boolean asRoot() {
    return serviceUser != null;
  }

  /** The account the stores run as: the service user as root, else this JVM's user. */
  String storeUser() {
    return asRoot() ? serviceUser : System.getProperty("user.name");
  }

  /** Creates the service account when running as root and it is missing. */
  synchronized void prepare(Binaries binaries) {
    if (!asRoot() || setpriv != null) {
      return;
    }
    Path found = binaries.require("setpriv", "util-linux");
    if (run(List.of("id", "-u", serviceUser)) != 0) {
      int created =
          run(
              List.of(
                  "useradd",
                  "--system",
                  "--no-create-home",
                  "--user-group",
                  "--home-dir",
                  "/nonexistent",
                  "--shell",
                  "/usr/sbin/nologin",
                  serviceUser));
      // Another JVM may have created it at the same moment: check again rather than trust the code.
      if (created != 0 && run(List.of("id", "-u", serviceUser)) != 0) {
        throw new DevstackException(
            "running as root, and the unprivileged account '"
                + serviceUser
                + "' that PostgreSQL and Elasticsearch need could not be created (useradd exit "
                + created
                + "); create it with `useradd --system --no-create-home --user-group "
                + serviceUser
                + "` or set -Dtidemark.devstack.user to an existing account");
      }
    }
    // Numeric ids: the account's primary group need not carry its name.
    uid = output(List.of("id", "-u", serviceUser));
    gid = output(List.of("id", "-g", serviceUser));
    setpriv = found;
  }

  /** {@code command} as the store user would run it. */
  List<String> asStoreUser(List<String> command) {
    if (!asRoot()) {
      return command;
    }
    List<String> wrapped = new ArrayList<>();
    wrapped.add(setpriv.toString());
    wrapped.add("--reuid=" + uid);
    wrapped.add("--regid=" + gid);
    wrapped.add("--init-groups");
    wrapped.add("--");
    wrapped.addAll(command);
    return wrapped;
  }

  /** Hands a folder tree to the store user (as root); a no-op otherwise. */
  void giveToStoreUser(Path tree) {
    if (!asRoot()) {
      return;
    }
    try {
      UserPrincipalLookupService lookup = tree.getFileSystem().getUserPrincipalLookupService();
      UserPrincipal user = lookup.lookupPrincipalByName(uid);
      GroupPrincipal group = lookup.lookupPrincipalByGroupName(gid);
      Files.walkFileTree(
          tree,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
                throws IOException {
              chown(dir);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              chown(file);
              return FileVisitResult.CONTINUE;
            }

            private void chown(Path p) throws IOException {
              PosixFileAttributeView view =
                  Files.getFileAttributeView(
                      p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
              view.setOwner(user);
              view.setGroup(group);
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hand " + tree + " to " + serviceUser, e);
    }
  }

  /**
   * Whether the store user can reach {@code dir}: every ancestor searchable by others (as root the
   * stores run as another account). Always true for a normal user.
   */
  boolean storeUserCanReach(Path dir) {
    if (!asRoot()) {
      return true;
    }
    for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
      if (!Files.exists(p)) {
        continue;
      }
      try {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
          return false;
        }
      } catch (IOException | UnsupportedOperationException e) {
        return false;
      }
    }
    return true;
  }

  /** Sends a signal (STOP, CONT, INT, TERM, KILL) to processes, ignoring those already gone. */
  static void signal(String signal, List<ProcessHandle> processes) {
    List<String> pids = new ArrayList<>();
    for (ProcessHandle p : processes) {
      if (p.isAlive()) {
        pids.add(Long.toString(p.pid()));
      }
    }
    if (pids.isEmpty()) {
      return;
    }
    List<String> command =
        new ArrayList<>(List.of("sh", "-c", "kill -s \"$0\" \"$@\" 2>/dev/null", signal));
    command.addAll(pids);
    run(command);
  }

  /** The trimmed output of a short command that must succeed. */
  private static String output(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new DevstackException(String.join(" ", command) + " failed: " + text);
      }
      return text;
    } catch (IOException e) {
      throw new DevstackException("cannot run " + String.join(" ", command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DevstackException("interrupted running " + String.join(" ", command), e);
    }
  }

  /** Runs a short command quietly and returns its exit code. */
  static int run(List<String> command) {
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * The last {@code lines} lines of a text file (its last 64 KiB at most), or why there are none.
   */
  static String tail(Path file, int lines) {
    if (!Files.isRegularFile(file)) {
      return "(" + file + " does not exist)";
    }
    try (SeekableByteChannel channel = Files.newByteChannel(file)) {
      long size = channel.size();
      long start = Math.max(0, size - 65536);
      ByteBuffer buffer = ByteBuffer.allocate((int) (size - start));
      channel.position(start);
      while (buffer.hasRemaining() && channel.read(buffer) > 0) {
        // keep reading
      }
      String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
      List<String> all = text.lines().toList();
      if (all.isEmpty()) {
        return "(" + file + " is empty)";
      }
      return String.join(
          System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  /** Deletes a folder tree; missing is fine. */
  static void deleteTree(Path tree) throws IOException {
    if (!Files.exists(tree, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        tree,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null && !(e instanceof NoSuchFileException)) {
              throw e;
            }
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
