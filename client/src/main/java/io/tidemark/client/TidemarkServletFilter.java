package io.tidemark.client;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * A servlet filter that serves each request at least at the snapshot its caller sent in the {@value
 * SnapshotHeaders#HEADER} header (or at the frontier when it sent none), and tells the caller which
 * snapshot that was in the same response header.
 *
 * <pre>{@code
 * servletContext.addFilter("tidemark", new TidemarkServletFilter(tidemark, Duration.ofSeconds(1)))
 *     .addMappingForUrlPatterns(null, false, "/*");
 *
 * // in a servlet or controller
 * Snapshot s = TidemarkServletFilter.snapshot(request);
 * }</pre>
 *
 * The token is checked at once: a malformed one is answered {@code 400} with {@code {"error":
 * "bad_token", "message": ...}} and the request goes no further. The snapshot itself is taken on
 * the first {@link #snapshot(ServletRequest)} call, so requests that read nothing cost nothing;
 * that call throws the typed exceptions of {@link Tidemark#snapshotAtLeast}.
 */
public final class TidemarkServletFilter implements Filter {

  /** The request attribute holding the request's snapshot (taken on first use). */
  public static final String ATTRIBUTE = Snapshot.class.getName();

  private final Tidemark tidemark;
  private final Duration wait;

  /**
   * @param wait how long a request waits for the frontier to reach its caller's token
   */
  public TidemarkServletFilter(Tidemark tidemark, Duration wait) {
    this.tidemark = Objects.requireNonNull(tidemark, "tidemark");
    this.wait = Objects.requireNonNull(wait, "wait");
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    String token = null;
    if (request instanceof HttpServletRequest http) {
      token = http.getHeader(SnapshotHeaders.HEADER);
    }
    if (token != null && !token.isEmpty()) {
      try {
        io.tidemark.protocol.SnapshotToken.parse(token.trim());
      } catch (io.tidemark.protocol.BadTokenException e) {
        refuse(response, new BadTokenException(e));
        return;
      }
    }
    request.setAttribute(ATTRIBUTE, new Lazy(tidemark, token, wait, response));
    chain.doFilter(request, response);
  }

  /**
   * The snapshot to serve this request with: at least the caller's, taken on first call and the
   * same afterwards. Also sets the {@value SnapshotHeaders#HEADER} response header to its token,
   * when the response is not committed yet.
   *
   * @throws IllegalStateException when the filter did not run for this request
   */
  public static Snapshot snapshot(ServletRequest request) {
    Object lazy = request.getAttribute(ATTRIBUTE);
    if (lazy instanceof Snapshot s) {
      return s;
    }
    if (!(lazy instanceof Lazy)) {
      throw new IllegalStateException(
          "no Tidemark snapshot on this request: map TidemarkServletFilter to its URL");
    }
    Snapshot s = ((Lazy) lazy).get();
    request.setAttribute(ATTRIBUTE, s);
    return s;
  }

  private static void refuse(ServletResponse response, TidemarkException e) throws IOException {
    if (response instanceof HttpServletResponse http) {
      http.setStatus(400);
    }
    response.setContentType("application/json");
    byte[] body =
        ("{\"error\":\"" + e.code() + "\",\"message\":" + quote(e.getMessage()) + "}")
            .getBytes(StandardCharsets.UTF_8);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  static String quote(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  /** The snapshot, taken when first asked for. */
  private static final class Lazy {
    private final Tidemark tidemark;
    private final String token;
    private final Duration wait;
    private final ServletResponse response;

    Lazy(Tidemark tidemark, String token, Duration wait, ServletResponse response) {
      this.tidemark = tidemark;
      this.token = token;
      this.wait = wait;
      this.response = response;
    }

    Snapshot get() {
      Snapshot s = SnapshotHeaders.snapshotFor(tidemark, token, wait);
      if (response instanceof HttpServletResponse http && !http.isCommitted()) {
        http.setHeader(SnapshotHeaders.HEADER, s.token());
      }
      return s;
    }
  }
}
