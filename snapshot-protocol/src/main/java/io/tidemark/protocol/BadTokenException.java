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

  /**
   * The part of the token that broke the rule, cut to 80 characters, control characters escaped.
   */
  public String offendingPart() {
    return offendingPart;
  }

  /**
   * At most 80 characters, with control characters shown as Java-style u-escapes: the text comes
   * from outside and ends up in logs and HTTP answers, where a raw line break could forge a line.
   */
  private static String abbreviate(CharSequence text) {
    if (text == null) {
      return "null";
    }
    CharSequence shown = text.length() <= 80 ? text : text.subSequence(0, 77) + "...";
    StringBuilder safe = null;
    for (int i = 0; i < shown.length(); i++) {
      char c = shown.charAt(i);
      boolean control = c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x2028 || c == 0x2029;
      if (control && safe == null) {
        safe = new StringBuilder(shown.length() + 16).append(shown, 0, i);
      }
      if (control) {
        safe.append(String.format(java.util.Locale.ROOT, "\\u%04X", (int) c));
      } else if (safe != null) {
        safe.append(c);
      }
    }
    return safe != null ? safe.toString() : shown.toString();
  }
}
