package io.tidemark.protocol;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether a snapshot read at a requested stamp may go ahead, given the current frontier and horizon
 * (design §3.6: refusals are explicit). A snapshot is readable when horizon ≤ stamp ≤ frontier in
 * every source it names.
 *
 * <p>Only the sources the request names are checked; a request that leaves a source out says
 * nothing about it (the read path decides, for example by reading that source at the frontier).
 * When several sources fail, the first failure in this order wins, so a refusal that waiting cannot
 * cure comes before one it can:
 *
 * <ol>
 *   <li>{@link Verdict#EXPIRED}: some source's requested version is below the horizon's version for
 *       it (equal is still readable: stores keep the entry visible at the horizon).
 *   <li>{@link Verdict#UNKNOWN_SOURCE}: the frontier does not name some requested source. Either
 *       the token is from another deployment, or the source has not reached every store yet; a
 *       caller that knows the source is configured may wait as for {@code NOT_READY}.
 *   <li>{@link Verdict#NOT_READY}: some source's requested version is above the frontier.
 * </ol>
 *
 * Immutable; the readable answer is one shared instance, so admitting a read allocates nothing.
 */
public final class ReadAdmission {

  /** The answer. */
  public enum Verdict {
    /** horizon ≤ requested ≤ frontier in every requested source. */
    READABLE,
    /** Below the horizon in some source: older versions may be purged. Final. */
    EXPIRED,
    /** A requested source the frontier does not name. */
    UNKNOWN_SOURCE,
    /** Above the frontier in some source: may become readable by waiting. */
    NOT_READY
  }

  private static final ReadAdmission READABLE =
      new ReadAdmission(Verdict.READABLE, null, null, null, "readable");

  private final Verdict verdict;
  private final String source;
  private final Version requested;
  private final Version limit;
  private final String message;

  private ReadAdmission(
      Verdict verdict, String source, Version requested, Version limit, String message) {
    this.verdict = verdict;
    this.source = source;
    this.requested = requested;
    this.limit = limit;
    this.message = message;
  }

  /**
   * Decides a read at {@code requested} against the current {@code frontier} and {@code horizon}.
   */
  public static ReadAdmission check(Stamp requested, Stamp frontier, Stamp horizon) {
    Objects.requireNonNull(requested, "requested");
    Objects.requireNonNull(frontier, "frontier");
    Objects.requireNonNull(horizon, "horizon");
    if (frontier.covers(requested) && requested.isAtOrAbove(horizon)) {
      return READABLE; // the common case, without allocating
    }
    for (var entry : requested.asMap().entrySet()) {
      Optional<Version> oldest = horizon.get(entry.getKey());
      if (oldest.isPresent() && entry.getValue().isBefore(oldest.get())) {
        return refusal(
            Verdict.EXPIRED,
            entry.getKey(),
            entry.getValue(),
            oldest.get(),
            "snapshot expired: "
                + entry.getKey()
                + "@"
                + entry.getValue()
                + " is below the horizon "
                + oldest.get()
                + " (versions older than the retention period are purged); take a new snapshot");
      }
    }
    for (String source : requested.sources()) {
      if (frontier.get(source).isEmpty()) {
        return refusal(
            Verdict.UNKNOWN_SOURCE,
            source,
            requested.get(source).orElseThrow(),
            null,
            "unknown source '"
                + source
                + "': the frontier names only "
                + frontier.sources()
                + "; is the token from another deployment?");
      }
    }
    for (var entry : requested.asMap().entrySet()) {
      Version newest = frontier.get(entry.getKey()).orElseThrow();
      if (entry.getValue().isAfter(newest)) {
        return refusal(
            Verdict.NOT_READY,
            entry.getKey(),
            entry.getValue(),
            newest,
            "snapshot not ready: "
                + entry.getKey()
                + "@"
                + entry.getValue()
                + " is above the frontier "
                + newest
                + "; wait for it or read at the frontier");
      }
    }
    throw new AssertionError("no refusal found for " + requested); // the fast path admits the rest
  }

  private static ReadAdmission refusal(
      Verdict verdict, String source, Version requested, Version limit, String message) {
    return new ReadAdmission(verdict, source, requested, limit, message);
  }

  public Verdict verdict() {
    return verdict;
  }

  public boolean isReadable() {
    return verdict == Verdict.READABLE;
  }

  /** The source that failed; empty when readable. */
  public Optional<String> source() {
    return Optional.ofNullable(source);
  }

  /** The failing source's requested version; empty when readable. */
  public Optional<Version> requested() {
    return Optional.ofNullable(requested);
  }

  /**
   * The bound the failing source broke: the horizon's version when expired, the frontier's when not
   * ready; empty when readable or for an unknown source.
   */
  public Optional<Version> limit() {
    return Optional.ofNullable(limit);
  }

  /** What was wrong and what would be valid, fit for an error answer. */
  public String message() {
    return message;
  }

  @Override
  public String toString() {
    return verdict + ": " + message;
  }
}
