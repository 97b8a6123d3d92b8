package io.tidemark.protocol;

import io.tidemark.protocol.BadTokenException.Reason;

/**
 * The text form of a {@link Stamp}, passed between services (HTTP header {@value #HEADER}).
 *
 * <p>Grammar: {@code tm1:<source>@<lsn>[,<source>@<lsn>]*}, for example {@code
 * tm1:listings@0/16B3748,users@1/A0}, where a source is 1-63 characters of {@code [A-Za-z0-9_.-]}
 * starting with a letter or {@code _}, and an LSN is PostgreSQL's {@code X/Y} (1-8 hex digits each,
 * either case). A token names at most {@value #MAX_SOURCES} sources, each once, in at most {@value
 * #MAX_LENGTH} characters (valid tokens are ASCII, so that is also 4 KiB).
 *
 * <p>Formatting is canonical (sources sorted, LSNs upper case without leading zeros), so equal
 * stamps give equal text. Parsing is strict: anything else throws {@link BadTokenException}, whose
 * {@link BadTokenException.Reason} names the rule that was broken, and never any other exception,
 * whatever the input. Sources may be given in any order; a reader may build a token from an LSN it
 * read itself ({@code SELECT pg_current_wal_insert_lsn()} after its commit).
 */
public final class SnapshotToken {

  /** The HTTP header that carries a token between services. */
  public static final String HEADER = "Tidemark-Snapshot";

  public static final String PREFIX = "tm1:";
  public static final int MAX_SOURCES = 64;
  public static final int MAX_LENGTH = 4096;
  static final int MAX_SOURCE_NAME = 63;

  private SnapshotToken() {}

  /**
   * The canonical token text of a stamp; {@link #parse} reads it back to an equal stamp.
   *
   * @throws IllegalArgumentException when the stamp is empty, names more than {@value #MAX_SOURCES}
   *     sources, or its text would be longer than {@value #MAX_LENGTH} characters
   */
  public static String format(Stamp stamp) {
    try {
      return stamp.token();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * Parses token text.
   *
   * @throws BadTokenException when the text breaks any rule of the grammar; never another exception
   */
  public static Stamp parse(CharSequence text) {
    if (text == null || text.length() == 0) {
      throw new BadTokenException(Reason.EMPTY, text, "the token is empty");
    }
    if (text.length() > MAX_LENGTH) {
      throw new BadTokenException(
          Reason.TOO_LONG,
          text,
          "the token has " + text.length() + " characters; at most " + MAX_LENGTH + " are allowed");
    }
    if (!startsWithPrefix(text)) {
      throw new BadTokenException(Reason.WRONG_PREFIX, text, "a token starts with " + PREFIX);
    }
    int length = text.length();
    if (length == PREFIX.length()) {
      throw new BadTokenException(Reason.EMPTY, text, "no source after " + PREFIX);
    }
    String[] sources = new String[4];
    long[] versions = new long[4];
    int count = 0;
    int start = PREFIX.length();
    while (start <= length) {
      int end = indexOf(text, ',', start, length);
      if (end == start) {
        throw new BadTokenException(Reason.EMPTY, text, "empty element at position " + start);
      }
      if (count == MAX_SOURCES) {
        throw new BadTokenException(
            Reason.TOO_MANY_SOURCES,
            text.subSequence(start, end),
            "a token names at most " + MAX_SOURCES + " sources");
      }
      int at = indexOf(text, '@', start, end);
      if (at == end) {
        throw new BadTokenException(
            Reason.BAD_ELEMENT, text.subSequence(start, end), "expected source@lsn");
      }
      String source = sourceName(text, start, at);
      long lsn;
      try {
        lsn = Version.parseLsn(text, at + 1, end);
      } catch (IllegalArgumentException e) {
        throw new BadTokenException(
            Reason.BAD_LSN, text.subSequence(at + 1, end), Version.EXPECTED);
      }
      if (count == sources.length) {
        sources = java.util.Arrays.copyOf(sources, count * 2);
        versions = java.util.Arrays.copyOf(versions, count * 2);
      }
      sources[count] = source;
      versions[count] = lsn;
      count++;
      start = end + 1;
    }
    return Stamp.fromParsed(sources, versions, count);
  }

  private static boolean startsWithPrefix(CharSequence text) {
    if (text.length() < PREFIX.length()) {
      return false;
    }
    for (int i = 0; i < PREFIX.length(); i++) {
      if (text.charAt(i) != PREFIX.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(CharSequence text, char c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (text.charAt(i) == c) {
        return i;
      }
    }
    return to;
  }

  private static String sourceName(CharSequence text, int start, int end) {
    if (!isSourceName(text, start, end)) {
      throw new BadTokenException(
          Reason.BAD_SOURCE_NAME,
          text.subSequence(start, end),
          "a source name is 1-"
              + MAX_SOURCE_NAME
              + " characters of letters, digits, _ . - and starts with a letter or _");
    }
    return text.subSequence(start, end).toString();
  }

  /** Whether {@code text[start, end)} is a valid source name. */
  static boolean isSourceName(CharSequence text, int start, int end) {
    int length = end - start;
    if (length < 1 || length > MAX_SOURCE_NAME) {
      return false;
    }
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      boolean other = (c >= '0' && c <= '9') || c == '.' || c == '-';
      if (!(letter || (i > start && other))) {
        return false;
      }
    }
    return true;
  }
}
