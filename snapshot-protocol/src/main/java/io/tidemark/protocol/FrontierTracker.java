package io.tidemark.protocol;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Turns the stores' watermarks into the published frontier (design §1, §3.3): per source, the
 * minimum watermark over the attached stores, published so that it never moves back.
 *
 * <p>The computed frontier is the {@linkplain Stamp#meet meet} of every attached store's latest
 * watermark, so a source that some store has not reported is not in it, and a store that has not
 * reported anything yet keeps it empty (the published frontier then stays put). The
 * <em>published</em> frontier is the {@linkplain Stamp#join join} of everything computed so far and
 * the seed: it only grows, per source. When a store reports a lower watermark than before (it
 * restarted and lost what was not durable, or it was rebuilt), the published frontier stays where
 * it was, and moves again only once the computed one passes it; the lanes must bring such a store
 * back up to the published frontier (its epochs are replayed from the source). A restarted
 * coordinator seeds the tracker with its persisted frontier so it never publishes a lower one
 * either.
 *
 * <p>Thread-safe. {@link #frontier()} is a volatile read. {@link #report} takes a short lock (one
 * meet per attached store). Listeners and {@link #whenCovers} futures run on a reporting thread,
 * after the lock is released; they are told every move in increasing order, though moves that
 * happen while a listener is still running may reach it as one. Keep them short.
 */
public final class FrontierTracker {

  private static final System.Logger LOG = System.getLogger(FrontierTracker.class.getName());

  private final ReentrantLock lock = new ReentrantLock();
  // guarded by lock; insertion-ordered so error messages list stores as they were given
  private final Map<String, Stamp> watermarks = new LinkedHashMap<>();
  private final Set<String> detached = new HashSet<>(); // guarded by lock
  private volatile Stamp published;
  private final Consumer<Stamp> persist;

  private final CopyOnWriteArrayList<Consumer<Stamp>> listeners = new CopyOnWriteArrayList<>();
  private final ReentrantLock delivery = new ReentrantLock();
  private volatile Stamp delivered; // the last frontier listeners were told; guarded by delivery
  private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();

  /** A tracker for these stores, starting from an empty frontier. */
  public FrontierTracker(Collection<String> stores) {
    this(stores, Stamp.empty());
  }

  /**
   * A tracker for these stores whose published frontier starts at {@code seed} (the persisted
   * frontier of a previous run), so it never publishes anything lower.
   */
  public FrontierTracker(Collection<String> stores, Stamp seed) {
    this(stores, seed, frontier -> {});
  }

  /**
   * A tracker that hands each new frontier to {@code persist} before publishing it, under the
   * tracker's lock: once anyone can read a frontier it is durable, so a restarted coordinator
   * seeded with the persisted value never publishes a lower one than a reader saw. When {@code
   * persist} throws, the frontier is not published and the exception reaches the reporter.
   */
  public FrontierTracker(Collection<String> stores, Stamp seed, Consumer<Stamp> persist) {
    this.persist = Objects.requireNonNull(persist, "persist");
    Objects.requireNonNull(stores, "stores");
    for (String store : stores) {
      requireStoreName(store);
      if (watermarks.putIfAbsent(store, Stamp.empty()) != null) {
        throw new IllegalArgumentException("store '" + store + "' is named twice in " + stores);
      }
    }
    this.published = Objects.requireNonNull(seed, "seed");
    this.delivered = seed;
  }

  /** The published frontier: complete in every attached store, never lower than before. */
  public Stamp frontier() {
    return published;
  }

  /**
   * Records a store's watermark and publishes the frontier that follows.
   *
   * @return whether the published frontier moved
   * @throws IllegalArgumentException when the store was never attached (a report from a store after
   *     it was {@linkplain #detach detached} is ignored instead: its lane may still be finishing)
   */
  public boolean report(String store, Stamp watermark) {
    Objects.requireNonNull(watermark, "watermark");
    Stamp moved;
    lock.lock();
    try {
      Stamp previous = watermarks.get(store);
      if (previous == null) {
        if (detached.contains(store)) {
          return false;
        }
        throw unknownStore(store);
      }
      if (previous.equals(watermark)) {
        return false;
      }
      watermarks.put(store, watermark);
      moved = publish();
    } finally {
      lock.unlock();
    }
    if (moved == null) {
      return false;
    }
    announce();
    return true;
  }

  /**
   * Adds a store. Until it reports, it holds the frontier where it is (the published frontier does
   * not move back), so attach a store once it holds data up to the frontier (after a backfill).
   *
   * @return false when it was attached already
   */
  public boolean attach(String store) {
    requireStoreName(store);
    lock.lock();
    try {
      detached.remove(store);
      return watermarks.putIfAbsent(store, Stamp.empty()) == null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops waiting for a store (design §6: a store that stays down): the frontier is computed from
   * the others, and may move at once. Its later reports are ignored until it is attached again.
   *
   * @return false when it was not attached
   */
  public boolean detach(String store) {
    Stamp moved;
    lock.lock();
    try {
      if (watermarks.remove(store) == null) {
        return false;
      }
      detached.add(store);
      moved = publish();
    } finally {
      lock.unlock();
    }
    if (moved != null) {
      announce();
    }
    return true;
  }

  /** The attached stores, in the order they were given. */
  public Set<String> stores() {
    lock.lock();
    try {
      return Collections.unmodifiableSet(new LinkedHashSet<>(watermarks.keySet()));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Each attached store's latest reported watermark (empty until it reports), sorted by store. A
   * store's watermark may be below the published frontier after it restarted.
   */
  public Map<String, Stamp> watermarks() {
    lock.lock();
    try {
      return Collections.unmodifiableSortedMap(new TreeMap<>(watermarks));
    } finally {
      lock.unlock();
    }
  }

  /** Calls {@code listener} with each new published frontier, on a reporting thread. */
  public void addListener(Consumer<Stamp> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  public boolean removeListener(Consumer<Stamp> listener) {
    return listeners.remove(listener);
  }

  /**
   * Completes with the published frontier once it {@linkplain Stamp#covers covers} {@code target}
   * (read-your-writes: design §3.5); at once when it does already. Cancel the future to stop
   * waiting. It completes on a reporting thread: chain slow work with the {@code *Async} methods.
   */
  public CompletableFuture<Stamp> whenCovers(Stamp target) {
    Objects.requireNonNull(target, "target");
    Stamp now = published;
    if (now.covers(target)) {
      return CompletableFuture.completedFuture(now);
    }
    Waiter waiter = new Waiter(target, new CompletableFuture<>());
    waiters.add(waiter);
    waiter.future.whenComplete((frontier, failure) -> waiters.remove(waiter));
    // A frontier published between the check above and add() was announced before this waiter
    // was there to see it: check again now that it is.
    now = published;
    if (now.covers(target)) {
      waiter.future.complete(now);
    }
    return waiter.future;
  }

  /**
   * Waits until the published frontier covers {@code target}, at most {@code timeout}.
   *
   * @return the covering frontier, or empty when the time ran out first
   */
  public Optional<Stamp> awaitCovering(Stamp target, Duration timeout) throws InterruptedException {
    Stamp now = published;
    if (now.covers(target)) {
      return Optional.of(now);
    }
    CompletableFuture<Stamp> future = whenCovers(target);
    try {
      return Optional.of(future.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (ExecutionException e) {
      throw new IllegalStateException("a frontier waiter cannot fail", e.getCause());
    } finally {
      future.cancel(false); // forgets the waiter if it is still there
    }
  }

  /** How many {@link #whenCovers} futures are waiting; for metrics and tests. */
  public int waiting() {
    return waiters.size();
  }

  /**
   * Publishes the join of the published frontier and the computed one. Call under {@link #lock}.
   *
   * @return the new published frontier, or null when it did not move
   */
  private Stamp publish() {
    if (watermarks.isEmpty()) {
      return null; // every store detached: nothing is known, so nothing moves
    }
    Stamp computed = null;
    for (Stamp watermark : watermarks.values()) {
      computed = computed == null ? watermark : computed.meet(watermark);
    }
    Stamp current = published;
    Stamp next = current.join(computed);
    if (next.equals(current)) {
      return null;
    }
    persist.accept(next);
    published = next;
    return next;
  }

  /**
   * Tells listeners and waiters about the published frontier. Whoever holds {@link #delivery}
   * delivers; a thread that cannot take it leaves its frontier to the holder, which looks again
   * after releasing it, so the newest frontier is always delivered and never out of order.
   */
  private void announce() {
    if (delivery.isHeldByCurrentThread()) {
      return; // a listener reported: the delivery running below us picks the new frontier up
    }
    while (delivery.tryLock()) {
      try {
        Stamp latest;
        while ((latest = published) != delivered) {
          delivered = latest;
          for (Consumer<Stamp> listener : listeners) {
            try {
              listener.accept(latest);
            } catch (RuntimeException e) {
              LOG.log(Level.WARNING, "frontier listener " + listener + " failed at " + latest, e);
            }
          }
          for (Waiter waiter : waiters) {
            if (latest.covers(waiter.target)) {
              waiter.future.complete(latest);
            }
          }
        }
      } finally {
        delivery.unlock();
      }
      if (published == delivered) {
        return;
      }
    }
  }

  private IllegalArgumentException unknownStore(String store) {
    return new IllegalArgumentException(
        "unknown store '"
            + store
            + "': attached stores are "
            + watermarks.keySet()
            + "; attach it before it reports");
  }

  private static void requireStoreName(String store) {
    if (store == null || store.isBlank()) {
      throw new IllegalArgumentException("a store needs a name, got '" + store + "'");
    }
  }

  /** One caller waiting; identity equality, since two callers may wait for the same stamp. */
  private static final class Waiter {
    final Stamp target;
    final CompletableFuture<Stamp> future;

    Waiter(Stamp target, CompletableFuture<Stamp> future) {
      this.target = target;
      this.future = future;
    }
  }
}
