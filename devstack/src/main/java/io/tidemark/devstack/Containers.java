package io.tidemark.devstack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code -Dtidemark.stack=containers} choice. A Testcontainers-backed stack is not part of this
 * build (it would add Docker-only dependencies to every test class path); selecting it fails with
 * the reason, so a CI job that asks for containers never silently gets local processes.
 */
final class Containers {
  private static final Path DEFAULT_SOCKET = Path.of("/var/run/docker.sock");

  private Containers() {}

  static DevstackException unavailable() {
    String dockerHost = System.getenv("DOCKER_HOST");
    String where =
        dockerHost == null || dockerHost.isBlank()
            ? DEFAULT_SOCKET.toString()
            : "DOCKER_HOST=" + dockerHost;
    if (!dockerReachable(dockerHost)) {
      return new DevstackException(
          "-Dtidemark.stack=containers: no Docker engine reachable (tried "
              + where
              + "); drop the property to run the stores as local processes (-Dtidemark.stack=local)");
    }
    return new DevstackException(
        "-Dtidemark.stack=containers: a Docker engine answers at "
            + where
            + ", but this build of tidemark-devstack has no Testcontainers provider; use -Dtidemark.stack=local");
  }

  static boolean dockerReachable(String dockerHost) {
    try {
      if (dockerHost == null || dockerHost.isBlank()) {
        return unixSocketAnswers(DEFAULT_SOCKET);
      }
      URI uri = URI.create(dockerHost);
      if ("unix".equals(uri.getScheme())) {
        return unixSocketAnswers(Path.of(uri.getPath()));
      }
      if ("tcp".equals(uri.getScheme()) && uri.getHost() != null) {
        try (Socket socket = new Socket()) {
          socket.connect(
              new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 2375 : uri.getPort()), 1000);
          return true;
        }
      }
      return false;
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean unixSocketAnswers(Path socket) throws IOException {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return channel.connect(UnixDomainSocketAddress.of(socket));
    }
  }
}
