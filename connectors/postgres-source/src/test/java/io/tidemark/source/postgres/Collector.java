package io.tidemark.source.postgres;

import io.tidemark.protocol.SourceTransaction;
import io.tidemark.protocol.Version;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** Collects what a source delivers, with arrival times, and waits for conditions on it. */
final class Collector implements Consumer<SourceTransaction> {
  record Arrival(SourceTransaction tx, long nanos) {}

  private final List<Arrival> arrivals = new ArrayList<>();

  @Override
  public synchronized void accept(SourceTransaction tx) {
    arrivals.add(new Arrival(tx, System.nanoTime()));
    notifyAll();
  }

  synchronized List<Arrival> arrivals() {
    return List.copyOf(arrivals);
  }

  /** Everything delivered so far. */
  synchronized List<SourceTransaction> all() {
    return arrivals.stream().map(Arrival::tx).toList();
  }

  /** Delivered transactions with changes (no progress events). */
  synchronized List<SourceTransaction> transactions() {
    return arrivals.stream().map(Arrival::tx).filter(t -> !t.isProgress()).toList();
  }

  synchronized List<SourceTransaction> progress() {
    return arrivals.stream().map(Arrival::tx).filter(SourceTransaction::isProgress).toList();
  }

  synchronized Version lastVersion() {
    return arrivals.isEmpty() ? null : arrivals.get(arrivals.size() - 1).tx().version();
  }

  /** Waits until the delivered list satisfies the condition, or fails naming it. */
  synchronized List<SourceTransaction> await(
      String what, Duration timeout, Predicate<List<SourceTransaction>> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<SourceTransaction> now = arrivals.stream().map(Arrival::tx).toList();
      if (condition.test(now)) {
        return now;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        List<SourceTransaction> tail =
            new ArrayList<>(now.subList(Math.max(0, now.size() - 5), now.size()));
        throw new AssertionError(
            "timed out after "
                + timeout
                + " waiting for "
                + what
                + "; got "
                + now.size()
                + " events, last ones: "
                + tail);
      }
      wait(Math.max(1, left / 1_000_000), 0);
    }
  }

  /** Waits until a delivered version is at or above {@code version}. */
  List<SourceTransaction> awaitVersion(Version version, Duration timeout)
      throws InterruptedException {
    return await(
        "a version at or above " + version,
        timeout,
        all -> !all.isEmpty() && !all.get(all.size() - 1).version().isBefore(version));
  }
}
