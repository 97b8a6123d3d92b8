package io.tidemark.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy in front of one store that can hold every chunk of bytes, in both
 * directions, for a configurable delay: a slow store, as a coordinator lane sees it. With no delay
 * it forwards at once. Each connection uses two platform threads (the campaign opens a handful).
 */
final class DelayProxy implements AutoCloseable {

  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicLong delayMillis = new AtomicLong();
  private final AtomicLong delayedChunks = new AtomicLong();
  private final Thread acceptor;
  private volatile boolean closed;

  DelayProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    acceptor = new Thread(this::accept, "delay-proxy-" + targetPort);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The {@code host:port} to give clients instead of the store's own. */
  String address() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** Every chunk forwarded from now on waits this long first (0: none). */
  void delay(long millis) {
    delayMillis.set(millis);
  }

  long delayedChunks() {
    return delayedChunks.get();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket store;
        try {
          store = new Socket(targetHost, targetPort);
        } catch (IOException e) {
          client.close(); // store down: the client sees a closed connection, as it would
          continue;
        }
        client.setTcpNoDelay(true);
        store.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(store);
        pump(client, store);
        pump(store, client);
      } catch (IOException e) {
        if (!closed) {
          continue;
        }
        return;
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[64 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  long delay = delayMillis.get();
                  if (delay > 0) {
                    delayedChunks.incrementAndGet();
                    Thread.sleep(delay); // the fault itself: this store answers slowly
                  }
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // connection closed on either side
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "delay-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    sockets.forEach(DelayProxy::closeQuietly);
  }
}
