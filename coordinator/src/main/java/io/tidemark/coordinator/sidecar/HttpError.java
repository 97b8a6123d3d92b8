package io.tidemark.coordinator.sidecar;

/** A request the sidecar answers with an error status and {@code {"error", "message"}}. */
final class HttpError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  final int status;
  final String code;

  HttpError(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  static HttpError badRequest(String message) {
    return new HttpError(400, "bad_request", message);
  }

  static HttpError limit(String message) {
    return new HttpError(400, "limit_exceeded", message);
  }
}
