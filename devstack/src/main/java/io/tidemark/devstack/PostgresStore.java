package io.tidemark.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * PostgreSQL from the system's binaries, in the foreground with logical decoding on; TCP on
 * loopback only, no Unix socket (its path length is limited).
 *
 * <p>{@code initdb} is the slow part of a start (half a second of CPU), so it runs once per
 * installation: into a template cluster in the devstack cache, with the role, the database (created
 * in single-user mode, no client needed) and the settings. Each store copies the template and adds
 * its port.
 */
final class PostgresStore extends LocalStore {
  static final String USER = "tidemark";
  static final String PASSWORD = "tidemark";
  static final String DATABASE = "tidemark";

  /** Bump when the template's contents change, so that old templates are not used. */
  private static final String TEMPLATE_LAYOUT = "1";

  private static final Object TEMPLATE_LOCK = new Object();

  private final Path bin;
  private final int port;

  PostgresStore(Path folder, Host host, Duration startupTimeout, Path bin) {
    super(StoreKind.POSTGRES, folder, host, startupTimeout);
    this.bin = bin;
    this.port = Ports.free();
  }

  private Path data() {
    return folder().resolve("data");
  }

  @Override
  void prepare(Deadline deadline) throws IOException, InterruptedException {
    Path template = template(deadline);
    copyTree(template, data());
    // PostgreSQL refuses a data folder that others can read.
    Files.setPosixFilePermissions(data(), PosixFilePermissions.fromString("rwx------"));
    Files.writeString(
        data().resolve("postgresql.conf"),
        "port = " + port + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
  }

  /** The template cluster for these binaries, made when missing. */
  private Path template(Deadline deadline) throws IOException, InterruptedException {
    synchronized (TEMPLATE_LOCK) {
      Path home = Cache.root().resolve("postgres-" + templateKey());
      Path data = home.resolve("data");
      if (Files.isRegularFile(data.resolve("PG_VERSION"))) {
        return data;
      }
      Path staging = Cache.staging("postgres");
      try {
        host.giveToStoreUser(staging);
        initdb(staging.resolve("data"), staging, deadline);
      } catch (IOException | InterruptedException | RuntimeException e) {
        Host.deleteTree(staging);
        throw e;
      }
      Cache.publish(staging, home);
      return data;
    }
  }

  /** Which installation and which template layout: a new PostgreSQL gets a new template. */
  private String templateKey() throws IOException {
    Path postgres = bin.resolve("postgres").toRealPath();
    String identity =
        postgres
            + "|"
            + Files.getLastModifiedTime(postgres).toMillis()
            + "|"
            + Files.size(postgres)
            + "|"
            + TEMPLATE_LAYOUT
            + "|"
            + host.storeUser();
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void initdb(Path data, Path work, Deadline deadline)
      throws IOException, InterruptedException {
    Path passwordFile = work.resolve("password");
    Files.writeString(passwordFile, PASSWORD + "\n");
    host.giveToStoreUser(passwordFile);
    try {
      runToCompletion(
          List.of(
              bin.resolve("initdb").toString(),
              "--pgdata=" + data,
              "--username=" + USER,
              "--pwfile=" + passwordFile,
              "--auth-local=trust",
              "--auth-host=scram-sha-256",
              "--encoding=UTF8",
              "--locale=C",
              "--no-sync",
              "--no-instructions"),
          deadline);
    } finally {
      Files.deleteIfExists(passwordFile);
    }
    // The bootstrap role is a superuser, and superusers may replicate. The port is per store.
    Files.writeString(
        data.resolve("postgresql.conf"),
        String.join(
            "\n",
            "",
            "# tidemark devstack",
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "max_connections = 200",
            "wal_level = logical",
            "max_replication_slots = 20",
            "max_wal_senders = 20",
            "fsync = off",
            "full_page_writes = off",
            "logging_collector = off",
            "log_min_messages = warning",
            ""),
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    runWithInput(
        List.of(bin.resolve("postgres").toString(), "--single", "-D", data.toString(), "template1"),
        "CREATE DATABASE " + DATABASE + ";\n",
        deadline);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path copy = to.resolve(from.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(copy);
        } else {
          Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  @Override
  List<String> command() {
    return List.of(bin.resolve("postgres").toString(), "-D", data().toString());
  }

  /** The postmaster writes "ready" as the status line of postmaster.pid once it accepts logins. */
  @Override
  boolean ready() throws IOException {
    Path pidFile = data().resolve("postmaster.pid");
    if (!Files.isReadable(pidFile)) {
      return false;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return false; // being written or removed
    }
    return lines.size() >= 8
        && lines.get(0).trim().equals(Long.toString(process().pid()))
        && lines.get(7).trim().equals("ready")
        && Ports.accepts(port);
  }

  /** SIGINT is the "fast" shutdown: ends sessions (a forgotten connection must not hang it). */
  @Override
  String stopSignal() {
    return "INT";
  }

  @Override
  PostgresInfo info() {
    return new PostgresInfo(Ports.HOST, port, DATABASE, USER, PASSWORD);
  }
}
