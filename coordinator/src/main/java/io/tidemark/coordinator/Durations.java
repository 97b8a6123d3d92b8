package io.tidemark.coordinator;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in the configuration and on the command line: a whole number with ms, s, m
 * or h, e.g. 250ms, 30s, 5m, 1h.
 */
public final class Durations {

  /** What a valid duration looks like, for error messages. */
  public static final String EXPECTED = "a number with ms, s, m or h, e.g. 250ms or 5m";

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  private Durations() {}

  /** The duration {@code text} spells, or empty when it spells none (or one too long to hold). */
  public static Optional<Duration> parse(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      long n = Long.parseLong(m.group(1));
      return Optional.of(
          switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
          });
    } catch (NumberFormatException | ArithmeticException tooLong) {
      return Optional.empty();
    }
  }

  /**
   * The duration a command-line option's value spells.
   *
   * @throws IllegalArgumentException naming the option and the value when it spells none
   */
  public static Duration option(String option, String text) {
    return parse(text)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    option + " '" + text + "' is not a duration; use " + EXPECTED));
  }
}
