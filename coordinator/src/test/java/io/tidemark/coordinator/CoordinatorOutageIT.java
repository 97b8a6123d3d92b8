package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.StoreKind;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 7: a slow or dead store holds the frontier, not the other stores. Elasticsearch frozen
 * (SIGSTOP) for 10 s under load, Redis restarted empty, Memcached flushed; a checker reads every
 * store at every published frontier throughout.
 */
class CoordinatorOutageIT {

  private static Devstack stack; // its own: this test freezes and restarts stores

  @TempDir Path stateDir;

  @BeforeAll
  static void startStack() {
    stack = Devstack.start(StoreKind.values());
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void storeOutagesHoldTheFrontierWhileTheOtherLanesKeepApplying() throws Exception {
    try (EndToEnd e2e = new EndToEnd(stack, stateDir);
        Connection writerConnection = e2e.connect();
        Coordinator coordinator = Coordinator.start(e2e.config(""))) {
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicReference<Exception> writeFailure = new AtomicReference<>();
      Thread writer =
          new Thread(
              () -> {
                Random random = new Random(5);
                try {
                  for (long seq = 1; writing.get(); seq++) {
                    e2e.commit(writerConnection, seq, CoordinatorIT.randomChange(random, seq, 100));
                    Thread.sleep(5);
                  }
                } catch (Exception e) {
                  writeFailure.set(e);
                }
              },
              "writer");
      writer.start();
      EndToEnd.Checker checker = e2e.new Checker(coordinator::frontier, 100);
      CoordinatorIT.await(
          () -> !coordinator.frontier().isEmpty(), Duration.ofSeconds(60), "a first frontier");

      // Elasticsearch frozen for 10 s.
      stack.store(StoreKind.ELASTICSEARCH).pause();
      Stamp frozenAt;
      Stamp readdbBefore;
      try {
        Thread.sleep(500); // let what was in flight settle, then watch for 10 s
        frozenAt = coordinator.frontier();
        readdbBefore = coordinator.stores().get("readdb").watermark();
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < until) {
          assertThat(coordinator.frontier())
              .as("frontier while search is frozen")
              .isEqualTo(frozenAt);
          Thread.sleep(50);
        }
        Stamp readdbAfter = coordinator.stores().get("readdb").watermark();
        assertThat(readdbAfter.covers(readdbBefore) && !readdbAfter.equals(readdbBefore))
            .as("readdb kept applying: %s then %s", readdbBefore, readdbAfter)
            .isTrue();
        assertThat(coordinator.stores().get("cache").watermark().covers(readdbBefore)).isTrue();
        assertThat(coordinator.stores().get("memo").watermark().covers(readdbBefore)).isTrue();
      } finally {
        stack.store(StoreKind.ELASTICSEARCH).resume();
      }
      Version beforeResume = EndToEnd.walInsertLsn(writerConnection);
      CoordinatorIT.awaitFrontierCovers(
          coordinator::frontier, beforeResume, Duration.ofSeconds(90));

      // Redis restarted empty: misses, never wrong answers; the frontier goes on.
      stack.store(StoreKind.REDIS).restart();
      Version afterRedis = EndToEnd.walInsertLsn(writerConnection);
      CoordinatorIT.awaitFrontierCovers(coordinator::frontier, afterRedis, Duration.ofSeconds(60));

      // Memcached flushed.
      try (Socket socket = new Socket(stack.memcached().host(), stack.memcached().port())) {
        OutputStream out = socket.getOutputStream();
        out.write("flush_all\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        byte[] reply = new byte[4];
        assertThat(socket.getInputStream().readNBytes(reply, 0, 4)).isEqualTo(4);
        assertThat(new String(reply, StandardCharsets.US_ASCII)).isEqualTo("OK\r\n");
      }
      Version afterMemcached = EndToEnd.walInsertLsn(writerConnection);
      CoordinatorIT.awaitFrontierCovers(
          coordinator::frontier, afterMemcached, Duration.ofSeconds(60));

      writing.set(false);
      writer.join();
      assertThat(writeFailure.get()).isNull();
      Version last = e2e.history.get(e2e.history.size() - 1).upper();
      CoordinatorIT.awaitFrontierCovers(coordinator::frontier, last, Duration.ofSeconds(60));
      checker.close();

      assertThat(checker.mismatches).as("reads at published frontiers").isEmpty();
      System.out.println("outage test checker: " + checker);
      assertThat(checker.checks.get()).isGreaterThan(100);
      assertThat(checker.frontierMonotone()).as("frontiers " + checker.frontiers).isTrue();
      Version at = coordinator.frontier().get("listings").orElseThrow();
      assertThat(e2e.compareWithSource(at, 100)).isEmpty();
      assertThat(coordinator.healthy()).isTrue();
    }
  }
}
