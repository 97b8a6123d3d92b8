package io.tidemark.devstack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Redis without persistence: a restart comes back empty. */
final class RedisStore extends LocalStore {
  private final Path program;
  private final int port;

  RedisStore(Path folder, Host host, Duration startupTimeout, Path program) {
    super(StoreKind.REDIS, folder, host, startupTimeout);
    this.program = program;
    this.port = Ports.free();
  }

  @Override
  void prepare(Deadline deadline) {}

  @Override
  List<String> command() {
    return List.of(
        program.toString(),
        "--bind",
        Ports.HOST,
        "--port",
        Integer.toString(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        folder().toString(),
        "--daemonize",
        "no",
        "--logfile",
        "",
        // Tidemark's versioned entries are larger than the 64-byte default.
        "--zset-max-listpack-value",
        "4096");
  }

  @Override
  boolean ready() {
    return LineProtocol.ask(port, "PING\r\n").startsWith("+PONG");
  }

  @Override
  RedisInfo info() {
    return new RedisInfo(Ports.HOST, port);
  }
}
