package io.tidemark.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.protocol.FrontierTracker;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Carrying tokens in the Tidemark-Snapshot header: java.net.http helpers and the servlet filter.
 */
class PropagationTest {

  FrontierTracker tracker = new FrontierTracker(List.of("readdb"));
  Tidemark tidemark;

  @BeforeEach
  void setUp() {
    tidemark =
        Tidemark.builder()
            .frontier(FrontierSource.inProcess(tracker, Stamp::empty, Set::of))
            .build();
    tracker.report("readdb", Stamp.of("listings", Version.of(0x100)));
  }

  @Test
  void outgoingRequestsCarryTheToken() {
    HttpRequest request =
        SnapshotHeaders.propagate(
                HttpRequest.newBuilder(URI.create("http://x/")), tidemark.snapshot())
            .build();
    assertThat(request.headers().firstValue("Tidemark-Snapshot")).contains("tm1:listings@0/100");
    assertThat(SnapshotHeaders.token(request.headers())).contains("tm1:listings@0/100");
  }

  @Test
  void anIncomingTokenGivesAtLeastThatSnapshot() {
    assertThat(SnapshotHeaders.snapshotFor(tidemark, "tm1:listings@0/50", Duration.ZERO).token())
        .isEqualTo("tm1:listings@0/100");
    assertThat(SnapshotHeaders.snapshotFor(tidemark, (String) null, Duration.ZERO).token())
        .isEqualTo("tm1:listings@0/100");
    assertThatThrownBy(
            () -> SnapshotHeaders.snapshotFor(tidemark, "tm1:listings@0/500", Duration.ZERO))
        .isInstanceOf(SnapshotNotReadyException.class);
  }

  @Test
  void theFilterServesAtLeastTheCallersSnapshotAndEchoesIt() throws Exception {
    Fake fake = new Fake(Map.of("Tidemark-Snapshot", "tm1:listings@0/80"));
    AtomicReference<Snapshot> seen = new AtomicReference<>();
    FilterChain chain = (req, res) -> seen.set(TidemarkServletFilter.snapshot(req));
    new TidemarkServletFilter(tidemark, Duration.ZERO)
        .doFilter(fake.request(), fake.response(), chain);
    assertThat(seen.get().token()).isEqualTo("tm1:listings@0/100");
    assertThat(fake.responseHeaders).containsEntry("Tidemark-Snapshot", "tm1:listings@0/100");
    assertThat(fake.status).isEqualTo(200);
  }

  @Test
  void theFilterTakesNoSnapshotForRequestsThatReadNothing() throws Exception {
    Fake fake = new Fake(Map.of());
    new TidemarkServletFilter(tidemark, Duration.ZERO)
        .doFilter(fake.request(), fake.response(), (q, r) -> {});
    assertThat(fake.responseHeaders).doesNotContainKey("Tidemark-Snapshot");
  }

  @Test
  void theFilterRefusesAMalformedTokenWith400() throws Exception {
    Fake fake = new Fake(Map.of("Tidemark-Snapshot", "tm1:listings@nope"));
    AtomicReference<Boolean> called = new AtomicReference<>(false);
    new TidemarkServletFilter(tidemark, Duration.ZERO)
        .doFilter(fake.request(), fake.response(), (q, r) -> called.set(true));
    assertThat(called.get()).isFalse();
    assertThat(fake.status).isEqualTo(400);
    assertThat(fake.body.toString(StandardCharsets.UTF_8))
        .startsWith("{\"error\":\"bad_token\",\"message\":\"bad token (bad_lsn)");
  }

  /** A request and a response as a container would pass them (only what the filter uses). */
  static final class Fake {
    final Map<String, String> requestHeaders;
    final Map<String, Object> attributes = new HashMap<>();
    final Map<String, String> responseHeaders = new HashMap<>();
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    int status = 200;

    Fake(Map<String, String> requestHeaders) {
      this.requestHeaders = requestHeaders;
    }

    HttpServletRequest request() {
      return (HttpServletRequest)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {HttpServletRequest.class},
              (proxy, method, args) -> {
                switch (method.getName()) {
                  case "getHeader":
                    return requestHeaders.get((String) args[0]);
                  case "setAttribute":
                    attributes.put((String) args[0], args[1]);
                    return null;
                  case "getAttribute":
                    return attributes.get((String) args[0]);
                  default:
                    throw new UnsupportedOperationException(method.getName());
                }
              });
    }

    HttpServletResponse response() {
      ServletOutputStream out =
          new ServletOutputStream() {
            @Override
            public void write(int b) {
              body.write(b);
            }

            @Override
            public boolean isReady() {
              return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {}
          };
      return (HttpServletResponse)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {HttpServletResponse.class},
              (proxy, method, args) -> {
                switch (method.getName()) {
                  case "setHeader":
                    responseHeaders.put((String) args[0], (String) args[1]);
                    return null;
                  case "isCommitted":
                    return false;
                  case "setStatus":
                    status = (Integer) args[0];
                    return null;
                  case "setContentType":
                  case "setContentLength":
                    return null;
                  case "getOutputStream":
                    return out;
                  default:
                    throw new UnsupportedOperationException(method.getName());
                }
              });
    }
  }
}
