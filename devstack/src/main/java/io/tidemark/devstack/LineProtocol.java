package io.tidemark.devstack;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** One request, one reply line, over a short-lived loopback connection (Redis, Memcached). */
final class LineProtocol {
  private static final int TIMEOUT_MILLIS = 500;

  private LineProtocol() {}

  /** The first reply line, or "" when nothing answers. */
  static String ask(int port, String request) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(Ports.HOST, port), TIMEOUT_MILLIS);
      socket.setSoTimeout(TIMEOUT_MILLIS);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      String line = reader.readLine();
      return line == null ? "" : line;
    } catch (IOException e) {
      return "";
    }
  }
}
