package io.tidemark.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The remote frontier source's caching and waiting, against a scripted HTTP endpoint that answers
 * like a sidecar (the ITs use the real one). Time is a counter the test moves.
 */
class RemoteFrontierTest {

  HttpServer server;
  final AtomicInteger frontierCalls = new AtomicInteger();
  final AtomicReference<String> lsn = new AtomicReference<>("0/100");
  final AtomicInteger frontierStatus = new AtomicInteger(200);
  final AtomicReference<String> lastAuthorization = new AtomicReference<>();
  final AtomicReference<String> lastSnapshotBody = new AtomicReference<>();
  final AtomicInteger snapshotStatus = new AtomicInteger(201);
  final AtomicLong now = new AtomicLong(1_000_000_000L);
  final java.util.concurrent.atomic.AtomicBoolean slowSnapshots =
      new java.util.concurrent.atomic.AtomicBoolean();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/v1/frontier",
        ex -> {
          frontierCalls.incrementAndGet();
          lastAuthorization.set(ex.getRequestHeaders().getFirst("Authorization"));
          answer(
              ex,
              frontierStatus.get(),
              "{\"token\":\"tm1:listings@"
                  + lsn.get()
                  + "\",\"stamp\":{\"listings\":\""
                  + lsn.get()
                  + "\"},\"horizon\":{\"listings\":\"0/10\"},\"stores\":{\"cache\":{\"state\":\"running\","
                  + "\"watermark\":{\"listings\":\""
                  + lsn.get()
                  + "\"},\"lagMillis\":12}},\"detached\":[\"search\"],\"healthy\":true}");
        });
    server.createContext(
        "/v1/snapshots",
        ex -> {
          if (slowSnapshots.get()) {
            try {
              Thread.sleep(1000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          lastSnapshotBody.set(
              new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          answer(
              ex,
              snapshotStatus.get(),
              snapshotStatus.get() == 201
                  ? "{\"token\":\"tm1:listings@0/900\"}"
                  : "{\"error\":\"not_ready\",\"message\":\"no\"}");
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  static void answer(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  RemoteFrontier remote(RemoteFrontierConfig config) {
    return new RemoteFrontier(config, now::get);
  }

  RemoteFrontierConfig config() {
    return RemoteFrontierConfig.of(
            URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"))
        .withRefreshInterval(Duration.ofMillis(20))
        .withMaxAge(Duration.ofSeconds(1));
  }

  static Stamp at(long lsn) {
    return Stamp.of("listings", Version.of(lsn));
  }

  @Test
  void aFrontierIsFetchedAtMostOncePerRefreshInterval() {
    RemoteFrontier remote = remote(config());
    assertThat(remote.frontier()).isEqualTo(at(0x100));
    lsn.set("0/200");
    for (int i = 0; i < 100; i++) {
      assertThat(remote.frontier()).isEqualTo(at(0x100));
    }
    assertThat(frontierCalls.get()).isEqualTo(1);
    now.addAndGet(Duration.ofMillis(20).toNanos());
    assertThat(remote.frontier()).isEqualTo(at(0x200));
    assertThat(frontierCalls.get()).isEqualTo(2);
    assertThat(remote.horizon()).isEqualTo(at(0x10));
    assertThat(remote.detachedStores()).containsExactly("search");
    assertThat(remote.stores().get("cache").lagMillis()).isEqualTo(12);
    assertThat(remote.stores().get("cache").watermark()).isEqualTo(at(0x200));
  }

  @Test
  void theFrontierNeverMovesBackEvenIfTheSidecarSaysSo() {
    RemoteFrontier remote = remote(config());
    assertThat(remote.frontier()).isEqualTo(at(0x100));
    lsn.set("0/50");
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(remote.frontier()).isEqualTo(at(0x100));
  }

  @Test
  void aRememberedFrontierServesUntilMaxAgeWhenTheSidecarFails() {
    RemoteFrontier remote = remote(config());
    remote.frontier();
    frontierStatus.set(500);
    now.addAndGet(Duration.ofMillis(500).toNanos());
    assertThat(remote.frontier()).isEqualTo(at(0x100));
    now.addAndGet(Duration.ofMillis(600).toNanos());
    assertThatThrownBy(remote::frontier)
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("500");
    assertThat(remote.healthy()).isFalse();
  }

  @Test
  void aBearerTokenIsSentAndA401SaysSo() {
    RemoteFrontier remote = remote(config().withBearerToken("s3cret"));
    remote.frontier();
    assertThat(lastAuthorization.get()).isEqualTo("Bearer s3cret");
    assertThat(config().withBearerToken("s3cret").toString()).doesNotContain("s3cret");
    frontierStatus.set(401);
    RemoteFrontier other = remote(config());
    assertThatThrownBy(other::frontier).hasMessageContaining("bearer token");
  }

  @Test
  void waitingAsksTheSidecarOnlyWhenTheRememberedFrontierFallsShort() throws Exception {
    RemoteFrontier remote = remote(config());
    assertThat(remote.awaitCovering(at(0x80), Duration.ofSeconds(1))).contains(at(0x100));
    assertThat(lastSnapshotBody.get()).isNull();
    assertThat(remote.awaitCovering(at(0x800), Duration.ofMillis(700))).contains(at(0x900));
    assertThat(lastSnapshotBody.get())
        .isEqualTo("{\"atLeast\":\"tm1:listings@0/800\",\"waitMillis\":700}");
    assertThat(remote.frontier()).isEqualTo(at(0x900)); // remembered from the wait
    snapshotStatus.set(408);
    assertThat(remote.awaitCovering(at(0x1000), Duration.ZERO)).isEmpty();
  }

  @Test
  void storeStatusesAreFetchedAgainAfterAWaitTaughtANewerFrontier() throws Exception {
    RemoteFrontier remote = remote(config());
    assertThat(remote.stores().get("cache").watermark()).isEqualTo(at(0x100));
    int calls = frontierCalls.get();
    lsn.set("0/900"); // the engine moved on; the wait below learns it
    assertThat(remote.awaitCovering(at(0x800), Duration.ofMillis(700))).contains(at(0x900));
    // Within the refresh interval, but the statuses came with 0/100: a cache at 0/900 must not
    // look behind the snapshot.
    assertThat(remote.stores().get("cache").watermark()).isEqualTo(at(0x900));
    assertThat(frontierCalls.get()).isEqualTo(calls + 1);
    assertThat(remote.stores().get("cache").watermark()).isEqualTo(at(0x900));
    assertThat(frontierCalls.get()).as("fetched once, not on every call").isEqualTo(calls + 1);
  }

  @Test
  void anUnreachableSidecarIsUnavailable() {
    server.stop(0);
    RemoteFrontier remote = remote(config());
    assertThatThrownBy(remote::frontier)
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("cannot reach");
  }

  @Test
  void configIsValidated() {
    assertThatThrownBy(() -> RemoteFrontierConfig.of(URI.create("ftp://x")))
        .hasMessageContaining("http");
    assertThatThrownBy(() -> config().withMaxAge(Duration.ofMillis(1)))
        .hasMessageContaining("refreshInterval");
  }

  @Test
  void aWaitTheSidecarDoesNotAnswerInTimeRunsOut() throws Exception {
    RemoteFrontier remote = remote(config().withRequestTimeout(Duration.ofMillis(200)));
    remote.frontier();
    slowSnapshots.set(true);
    assertThat(remote.awaitCovering(at(0x800), Duration.ZERO)).isEmpty();
    assertThat(
            remote
                .whenCovering(at(0x800), Duration.ZERO)
                .get(10, java.util.concurrent.TimeUnit.SECONDS))
        .isEmpty();
  }
}
