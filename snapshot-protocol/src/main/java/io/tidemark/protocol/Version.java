package io.tidemark.protocol;

/**
 * The position of a committed source transaction in its source's commit order: the commit LSN of a
 * PostgreSQL transaction, an unsigned 64-bit number printed as {@code X/Y} hex.
 *
 * <p>Immutable and totally ordered by unsigned comparison. {@link #OPEN} is the largest version and
 * stands for "not closed yet" in an entry's range.
 */
public final class Version implements Comparable<Version> {

  /** The smallest version: nothing has been applied. */
  public static final Version ZERO = new Version(0L);

  /** The largest version ({@code FFFFFFFF/FFFFFFFF}): the end of an entry that is still current. */
  public static final Version OPEN = new Version(-1L);

  private final long lsn;

  private Version(long lsn) {
    this.lsn = lsn;
  }

  /** The version with this LSN, read as an unsigned 64-bit number. */
  public static Version of(long lsn) {
    if (lsn == 0L) {
      return ZERO;
    }
    return lsn == -1L ? OPEN : new Version(lsn);
  }

  /**
   * Parses PostgreSQL's text form {@code X/Y}: two hex numbers of 1 to 8 digits each, upper or
   * lower case, leading zeros allowed (so a zero-padded {@code 0/016B3748} reads too), no sign, no
   * spaces. This is what {@code pg_lsn} input accepts.
   *
   * @throws IllegalArgumentException naming the text and the expected form
   */
  public static Version parse(CharSequence text) {
    if (text == null) {
      throw new IllegalArgumentException("bad version: null; " + EXPECTED);
    }
    return of(parseLsn(text, 0, text.length()));
  }

  static final String EXPECTED = "expected an LSN as X/Y with 1-8 hex digits each, e.g. 0/16B3748";

  /** Parses {@code text[start, end)} as {@code X/Y} without allocating unless it is malformed. */
  static long parseLsn(CharSequence text, int start, int end) {
    int slash = -1;
    for (int i = start; i < end; i++) {
      if (text.charAt(i) == '/') {
        slash = i;
        break;
      }
    }
    long hi = slash < 0 ? -1 : hex(text, start, slash);
    long lo = slash < 0 ? -1 : hex(text, slash + 1, end);
    if (hi < 0 || lo < 0) {
      throw new IllegalArgumentException(
          "bad version '" + text.subSequence(start, end) + "': " + EXPECTED);
    }
    return (hi << 32) | lo;
  }

  /** 1 to 8 hex digits → value, or -1. */
  private static long hex(CharSequence text, int start, int end) {
    int length = end - start;
    if (length < 1 || length > 8) {
      return -1L;
    }
    long value = 0;
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      int digit = c < 128 ? Character.digit(c, 16) : -1;
      if (digit < 0) {
        return -1L;
      }
      value = (value << 4) | digit;
    }
    return value;
  }

  /** The LSN as a signed long holding the unsigned bits; compare with {@link #compareTo}. */
  public long asLong() {
    return lsn;
  }

  public boolean isAfter(Version other) {
    return compareTo(other) > 0;
  }

  public boolean isBefore(Version other) {
    return compareTo(other) < 0;
  }

  public static Version max(Version a, Version b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  public static Version min(Version a, Version b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public int compareTo(Version other) {
    return Long.compareUnsigned(lsn, other.lsn);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Version && ((Version) o).lsn == lsn;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(lsn);
  }

  /** PostgreSQL's form: upper-case hex, no leading zeros, e.g. {@code 0/16B3748}. */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(17);
    appendTo(text, lsn);
    return text.toString();
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /**
   * Appends {@code lsn} in PostgreSQL's {@code X/Y} form ({@code %X/%X}, as {@code pg_lsn} prints
   * it) without intermediate strings: tokens are formatted on every read.
   */
  static void appendTo(StringBuilder text, long lsn) {
    appendHex(text, (int) (lsn >>> 32));
    text.append('/');
    appendHex(text, (int) lsn);
  }

  private static void appendHex(StringBuilder text, int value) {
    int shift = value == 0 ? 0 : (31 - Integer.numberOfLeadingZeros(value)) & ~3;
    for (; shift >= 0; shift -= 4) {
      text.append(HEX[(value >>> shift) & 0xF]);
    }
  }
}
