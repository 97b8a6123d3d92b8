package io.tidemark.devstack;

/** A store could not be found, started, or stopped; the message says which, why, and the fix. */
public final class DevstackException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  DevstackException(String message) {
    super(message);
  }

  DevstackException(String message, Throwable cause) {
    super(message, cause);
  }
}
