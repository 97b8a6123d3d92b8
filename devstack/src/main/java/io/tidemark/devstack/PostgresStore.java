package io.tidemark.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;

/**
 * PostgreSQL from the system's binaries: {@code initdb} into the store's folder, the database
 * created in single-user mode (no client needed), then {@code postgres} in the foreground with
 * logical decoding on. TCP on loopback only, no Unix socket (its path length is limited).
 */
final class PostgresStore extends LocalStore {
  static final String USER = "tidemark";
  static final String PASSWORD = "tidemark";
  static final String DATABASE = "tidemark";

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
    Path passwordFile = folder().resolve("password");
    Files.writeString(passwordFile, PASSWORD + "\n");
    host.giveToStoreUser(passwordFile);
    try {
      runToCompletion(
          List.of(
              bin.resolve("initdb").toString(),
              "--pgdata=" + data(),
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
    // The bootstrap role is a superuser, and superusers may replicate.
    Files.writeString(
        data().resolve("postgresql.conf"),
        String.join(
            "\n",
            "",
            "# tidemark devstack",
            "listen_addresses = '127.0.0.1'",
            "port = " + port,
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
        List.of(
            bin.resolve("postgres").toString(), "--single", "-D", data().toString(), "template1"),
        "CREATE DATABASE " + DATABASE + ";\n",
        deadline);
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
