package io.tidemark.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP proxy that holds every byte the client sends for a fixed time before passing it on
 * (answers come back at once). Put in front of one store for the coordinator's lane only, it makes
 * that lane slower by the delay per round trip, while readers keep the direct address: the demo's
 * "extra delay in one store's lane". The coordinator has no hook to wrap a lane's writer, and a
 * network delay is what a slower store looks like to the lane anyway.
 *
 * <p>Order is kept: chunks leave in the order they arrived, each no earlier than its arrival plus
 * the delay, so pipelined requests keep their spacing and are not serialised behind each other.
 */
final class DelayLine implements AutoCloseable {

  private record Chunk(long dueNanos, byte[] bytes) {}

  private static final Chunk END = new Chunk(0, new byte[0]);

  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final long delayNanos;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private DelayLine(ServerSocket server, String targetHost, int targetPort, Duration delay) {
    this.server = server;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.delayNanos = delay.toNanos();
  }

  /** Listens on a free loopback port and forwards to {@code host:port}, delaying requests. */
  static DelayLine open(String host, int port, Duration delay) {
    try {
      ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      DelayLine line = new DelayLine(server, host, port, delay);
      daemon(line::acceptLoop, "delay-line-accept-" + server.getLocalPort()).start();
      return line;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a delay line to " + host + ":" + port, e);
    }
  }

  int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(targetHost, targetPort);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        String name = "delay-line-" + client.getPort();
        daemon(() -> readInto(client, queue), name + "-in").start();
        daemon(() -> sendDelayed(queue, client, upstream), name + "-out").start();
        daemon(() -> copy(upstream, client), name + "-back").start();
      } catch (IOException e) {
        if (!closed) {
          sleepQuietly(10); // e.g. the store is restarting: try the next connection
        }
      }
    }
  }

  private void readInto(Socket client, BlockingQueue<Chunk> queue) {
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = client.getInputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        queue.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, n)));
      }
    } catch (IOException e) {
      // the connection ended
    } finally {
      queue.add(END);
    }
  }

  private void sendDelayed(BlockingQueue<Chunk> queue, Socket client, Socket upstream) {
    try (OutputStream out = upstream.getOutputStream()) {
      while (true) {
        Chunk chunk = queue.take();
        if (chunk == END) {
          break;
        }
        long wait = chunk.dueNanos() - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        out.write(chunk.bytes());
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // the connection ended
    } finally {
      closeQuietly(upstream);
      closeQuietly(client);
    }
  }

  private static void copy(Socket from, Socket to) {
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // the connection ended
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    sockets.forEach(DelayLine::closeQuietly);
  }

  private static Thread daemon(Runnable task, String name) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    return t;
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
