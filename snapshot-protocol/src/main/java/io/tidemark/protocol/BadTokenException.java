package io.tidemark.protocol;

/**
 * A snapshot token's text is malformed. {@link #reason()} says which rule it broke and {@link
 * #offendingPart()} quotes the part of the text that broke it; the message says both and what a
 * valid token looks like.
 */
public final class BadTokenException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /** The rule a token broke; stable, documented, and safe to show to callers. */
  public enum Reason {
    /** Null, blank, or nothing after the prefix, or an empty element between commas. */
    EMPTY,
    /** Does not start with {@code tm1:}. */
    WRONG_PREFIX,
    /** An element is not {@code source@lsn}. */
    BAD_ELEMENT,
    /**
     * A source name is not 1-63 characters of {@code [A-Za-z0-9_.-]} starting with a letter or _.
     */
    BAD_SOURCE_NAME,
    /** A version is not {@code X/Y} with 1-8 hex digits each. */
    BAD_LSN,
    /** The same source appears twice. */
    DUPLICATE_SOURCE,
    /** More than {@value SnapshotToken#MAX_SOURCES} sources. */
    TOO_MANY_SOURCES,
    /** Longer than {@value SnapshotToken#MAX_LENGTH} characters. */
    TOO_LONG
  }

  private final Reason reason;
  private final String offendingPart;

  BadTokenException(Reason reason, CharSequence offendingPart, String detail) {
    super(
        "bad token ("
            + reason.name().toLowerCase(java.util.Locale.ROOT)
            + "): '"
            + abbreviate(offendingPart)
            + "': "
            + detail
            + "; a token looks like tm1:listings@0/16B3748 or tm1:listings@0/16B3748,users@1/A0");
    this.reason = reason;
    this.offendingPart = abbreviate(offendingPart);
  }

  public Reason reason() {
    return reason;
  }

  /** The part of the token that broke the rule, cut to 80 characters. */
  public String offendingPart() {
    return offendingPart;
  }

  private static String abbreviate(CharSequence text) {
    if (text == null) {
      return "null";
    }
    return text.length() <= 80 ? text.toString() : text.subSequence(0, 77) + "...";
  }
}
