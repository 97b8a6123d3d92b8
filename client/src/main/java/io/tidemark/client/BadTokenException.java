package io.tidemark.client;

/**
 * A snapshot token's text is malformed. The cause is the protocol's {@link
 * io.tidemark.protocol.BadTokenException}, whose {@link #reason()} names the broken rule.
 */
public final class BadTokenException extends TidemarkException {

  private static final long serialVersionUID = 1L;

  private final io.tidemark.protocol.BadTokenException.Reason reason;

  BadTokenException(io.tidemark.protocol.BadTokenException cause) {
    super(cause.getMessage(), cause);
    this.reason = cause.reason();
  }

  /** Which rule of the token grammar the text broke. */
  public io.tidemark.protocol.BadTokenException.Reason reason() {
    return reason;
  }

  @Override
  public String code() {
    return "bad_token";
  }
}
