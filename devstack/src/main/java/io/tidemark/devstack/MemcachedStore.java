package io.tidemark.devstack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Memcached on TCP only, with room for 1 MB values. */
final class MemcachedStore extends LocalStore {
  private final Path program;
  private final int port;

  MemcachedStore(Path folder, Host host, Duration startupTimeout, Path program) {
    super(StoreKind.MEMCACHED, folder, host, startupTimeout);
    this.program = program;
    this.port = Ports.free();
  }

  @Override
  void prepare(Deadline deadline) {}

  /**
   * As root the command already runs as the unprivileged store user (setpriv), so memcached's own
   * {@code -u} is not needed.
   */
  @Override
  List<String> command() {
    return List.of(
        program.toString(),
        "-l",
        Ports.HOST,
        "-p",
        Integer.toString(port),
        "-U",
        "0",
        "-m",
        "256",
        "-I",
        "2m");
  }

  @Override
  boolean ready() {
    return LineProtocol.ask(port, "version\r\n").startsWith("VERSION ");
  }

  @Override
  MemcachedInfo info() {
    return new MemcachedInfo(Ports.HOST, port);
  }
}
