package io.tidemark.connector.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.tidemark.connector.contract.SourceModel.Key;
import io.tidemark.connector.contract.SourceModel.Step;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.ApplyResult;
import io.tidemark.protocol.store.Entry;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.SearchReader;
import io.tidemark.protocol.store.StoreReader;
import io.tidemark.protocol.store.StoreWriter;
import io.tidemark.protocol.store.Write;
import io.tidemark.protocol.store.WriteOutcome;
import io.tidemark.protocol.store.WriteResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The store contract: one suite every connector runs unchanged against its real store, through a
 * subclass named {@code <Store>ContractIT} that says how to open the store ({@link #openStore}) and
 * what kind of store it is (the {@code protected} hooks).
 *
 * <p>Every test compares the store with an in-memory model of the source (per key the list of
 * (version, document or deleted)) over a random history of inserts, updates and deletes. Each test
 * uses collection and source names of its own ({@code ct<random>_<n>_<name>}: lowercase ASCII
 * letters, digits and underscores, at most 30 characters, starting with a letter), so tests need no
 * clean-up between them and may share one server.
 *
 * <p>What a read must answer at snapshot S, for a key whose model value at S is document D written
 * at version V (or absent):
 *
 * <ul>
 *   <li>authoritative stores ({@link StoreReader#authoritative()}): FOUND with an entry of that
 *       key, {@code from == V}, a range visible at S, and D as document; ABSENT when absent;
 *   <li>caches: the same, or MISS; never another version's value.
 * </ul>
 *
 * Documents compare by {@link JsonNormalization} (equality after a JSON round trip: numbers by
 * value, objects ignoring key order).
 *
 * <p>Random histories come from a seed printed in every failure message; rerun one with {@code
 * -Dtidemark.contract.seed=<seed>}.
 *
 * <p>The test methods are public so that the suite's own tests can call them on a deliberately
 * broken store; a subclass need not touch them.
 */
public abstract class StoreContract {

  /** A value of about 1 MB, as the suite requires every store to carry. */
  static final int LARGE_VALUE_CHARS = 1 << 20;

  /**
   * Lowercase ASCII words: the standard analyzer and the model's whole-word match agree on them.
   */
  static final List<String> WORDS =
      List.of("red", "blue", "green", "car", "bike", "house", "lamp", "chair", "boat", "tree");

  /** Keys of every random history: plain ones and the awkward ones every store must carry. */
  static final List<String> KEYS =
      List.of(
          "k1",
          "k2",
          "k3",
          "k4",
          "ключ-🔑",
          "user@example.com",
          "a/b/c",
          "urn:tidemark:1",
          "with spaces",
          "k10");

  private static final long BASE_SEED = Long.getLong("tidemark.contract.seed", System.nanoTime());
  private static final AtomicInteger NAMESPACES = new AtomicInteger();
  private static final Random NAMES = new Random();

  /**
   * Opens the store for one test: a writer and a reader connected to the same store. The suite
   * picks fresh collection and source names for each test, so the store may be shared.
   *
   * @param testName the test's method name, for logs and for stores that want a namespace anyway
   */
  protected abstract StoreFixture openStore(String testName) throws Exception;

  /**
   * Whether the store keeps a watermark ({@link StoreWriter#watermark()} not empty after an epoch
   * is made visible). Caches that keep none override this to return false; the watermark checks
   * then only check that it stays empty, and replays need only succeed rather than answer {@link
   * WriteOutcome#ALREADY_APPLIED}.
   */
  protected boolean keepsWatermark() {
    return true;
  }

  /**
   * Whether {@link StoreWriter#purge} may remove nothing even when entries were superseded before
   * the horizon. Only a store whose documentation says why purge is unnecessary (for example a
   * cache that trims a key's old entries whenever it writes the key, or that lets them expire)
   * overrides this to return true; reads at and after the horizon must still stay unchanged.
   */
  protected boolean purgeIsUnnecessary() {
    return false;
  }

  /**
   * How long the concurrent-readers test may take at most before it fails (the writer applies 40
   * small epochs in that time).
   */
  protected Duration concurrencyDeadline() {
    return Duration.ofMinutes(2);
  }

  // ---------------------------------------------------------------------------------------------
  // Tests

  /** Reads at many S over a random history equal the model as of S; so do latest() reads. */
  @Test
  public void readsAtAnySnapshotEqualTheSourceAsOfThatSnapshot() throws Exception {
    Run run = new Run("readsAtAnySnapshot");
    try (StoreFixture store = openStore(run.testName)) {
      List<String> collections = run.collections("ads", "users", "shops");
      SourceModel model = new SourceModel();
      Watermarks watermarks = new Watermarks(store.writer(), run);
      ReadChecker check = new ReadChecker(store.reader(), model, run);
      for (Epoch epoch : run.randomHistory(collections, KEYS, 14)) {
        model.record(epoch);
        applyFresh(store.writer(), epoch, run);
        watermarks.makeVisibleCovers(epoch.version());
        // Read right after each epoch too: a store must not depend on reads coming at the end.
        for (Write w : epoch.writes()) {
          Key key = new Key(w.collection(), w.key());
          check.get(key, epoch.version(), "right after its epoch");
          check.latest(key, "right after its epoch");
        }
      }
      for (Version at : readPoints(model)) {
        for (Key key : allKeys(model, collections)) {
          check.get(key, at, "after the whole history");
        }
      }
      for (Key key : allKeys(model, collections)) {
        check.latest(key, "after the whole history");
      }
      String unknown = run.collection("never_written");
      check.get(new Key(unknown, "k1"), model.lastEpoch(), "collection never written");
      check.latest(new Key(unknown, "k1"), "collection never written");
      check.assertCacheAnswered();
    }
  }

  /**
   * Replaying epochs at or below the watermark answers ALREADY_APPLIED and changes no read;
   * replaying the last epoch above a stale watermark changes nothing either.
   */
  @Test
  public void replayingAnEpochChangesNothing() throws Exception {
    Run run = new Run("replay");
    try (StoreFixture store = openStore(run.testName)) {
      List<String> collections = run.collections("ads", "users");
      SourceModel model = new SourceModel();
      Watermarks watermarks = new Watermarks(store.writer(), run);
      List<Epoch> history = run.randomHistory(collections, KEYS, 8);
      for (Epoch epoch : history) {
        model.record(epoch);
        applyFresh(store.writer(), epoch, run);
        watermarks.makeVisibleCovers(epoch.version());
      }
      ReadChecker check = new ReadChecker(store.reader(), model, run);
      Map<String, String> before = check.snapshotOfReads(readPoints(model), collections);

      // A restart replays from some earlier offset, in order: every epoch again, from a random one.
      int from = run.random.nextInt(history.size());
      for (Epoch epoch : history.subList(from, history.size())) {
        applyReplay(store.writer(), epoch, run, "replay of an epoch at or below the watermark");
        watermarks.observe();
      }
      // And from the very first epoch.
      for (Epoch epoch : history) {
        applyReplay(store.writer(), epoch, run, "replay from the first epoch");
        watermarks.observe();
      }
      watermarks.makeVisibleCovers(model.lastEpoch());
      assertSameReads(before, check.snapshotOfReads(readPoints(model), collections), run, "replay");

      // The last epoch above a stale watermark: applied, not yet visible, applied again.
      Epoch next = run.randomEpoch(collections, KEYS, model.lastEpoch());
      model.record(next);
      applyFresh(store.writer(), next, run);
      watermarks.observe();
      ApplyResult again = store.writer().apply(next);
      assertSucceeded(again, next, run, "second application of the newest epoch");
      watermarks.makeVisibleCovers(next.version());
      for (Version at : readPoints(model)) {
        for (Key key : allKeys(model, collections)) {
          check.get(key, at, "after applying the newest epoch twice");
        }
      }
      Map<String, String> settled = check.snapshotOfReads(readPoints(model), collections);
      applyReplay(store.writer(), next, run, "third application, now below the watermark");
      watermarks.makeVisibleCovers(next.version());
      assertSameReads(
          settled, check.snapshotOfReads(readPoints(model), collections), run, "third replay");
      check.assertCacheAnswered();
    }
  }

  /**
   * After apply and makeVisible the watermark covers the epoch; it never moves back (replays,
   * progress epochs, other sources).
   */
  @Test
  public void watermarkCoversVisibleEpochsAndNeverMovesBack() throws Exception {
    Run run = new Run("watermark");
    try (StoreFixture store = openStore(run.testName)) {
      StoreWriter writer = store.writer();
      List<String> collections = run.collections("ads");
      assertThat(writer.watermark().get(run.source))
          .as("watermark of a source never applied (%s)", run)
          .isEmpty();
      Watermarks watermarks = new Watermarks(writer, run);
      List<Epoch> history = run.randomHistory(collections, KEYS, 6);
      for (Epoch epoch : history) {
        applyFresh(writer, epoch, run);
        watermarks.observe();
        watermarks.makeVisibleCovers(epoch.version());
      }
      // An epoch without writes moves the watermark too (an idle source's heartbeat).
      Version idle = run.versions.next();
      ApplyResult progress = writer.apply(Epoch.progress(run.source, idle));
      assertThat(progress.succeeded()).as("progress epoch at %s (%s)", idle, run).isTrue();
      assertThat(progress.results()).as("progress epoch results").isEmpty();
      watermarks.makeVisibleCovers(idle);

      // Another source's epochs move only that source's watermark, even at lower versions.
      String otherSource = run.source + "_b";
      String otherCollection = run.collection("other");
      Version low = Version.of(history.get(0).version().asLong() - 1);
      Epoch other =
          new Epoch(otherSource, low, List.of(Write.upsert(otherCollection, "k1", doc("x"))), 1);
      applyFresh(writer, other, run);
      Stamp afterOther = writer.makeVisible();
      if (keepsWatermark()) {
        assertThat(afterOther.get(otherSource))
            .as("watermark of source %s after its epoch at %s (%s)", otherSource, low, run)
            .contains(low);
        assertThat(writer.watermark().get(otherSource))
            .as("watermark() of %s", otherSource)
            .contains(low);
      }
      watermarks.observe();

      // Replays of old epochs never move it back.
      for (Epoch epoch : history) {
        applyReplay(writer, epoch, run, "replay of an old epoch");
        watermarks.observe();
      }
      watermarks.makeVisibleCovers(idle);
      if (!keepsWatermark()) {
        assertThat(writer.watermark().get(run.source))
            .as("a store that keeps no watermark reports none (%s)", run)
            .isEmpty();
      }
    }
  }

  /**
   * purge(collection, horizon) keeps every read at S ≥ horizon, removes superseded entries, and
   * later epochs still read right.
   */
  @Test
  public void purgeKeepsEveryReadFromTheHorizonOn() throws Exception {
    Run run = new Run("purge");
    try (StoreFixture store = openStore(run.testName)) {
      StoreWriter writer = store.writer();
      List<String> collections = run.collections("ads", "users");
      SourceModel model = new SourceModel();
      Watermarks watermarks = new Watermarks(writer, run);
      ReadChecker check = new ReadChecker(store.reader(), model, run);
      watermarks.applyVisibleHistory(model, collections, 12);
      List<Version> epochs = model.epochs();
      // First an exact epoch version, then one between two epochs.
      for (Version horizon :
          List.of(epochs.get(5), Version.of(epochs.get(8).asLong() + 1), model.lastEpoch())) {
        List<Version> kept = readPoints(model).stream().filter(v -> !v.isBefore(horizon)).toList();
        Map<String, String> before = check.snapshotOfReads(kept, collections);
        long removed = 0;
        long superseded = 0;
        for (String collection : collections) {
          removed += writer.purge(collection, horizon);
          superseded += model.supersededBy(collection, horizon);
        }
        assertThat(removed).as("purge count at horizon %s (%s)", horizon, run).isNotNegative();
        if (superseded > 0 && !purgeIsUnnecessary()) {
          assertThat(removed)
              .as(
                  "entries removed by purge at horizon %s, where %d documents were superseded"
                      + " at or before it (%s)",
                  horizon, superseded, run)
              .isPositive();
        }
        assertSameReads(
            before, check.snapshotOfReads(kept, collections), run, "purge at horizon " + horizon);
        for (Version at : kept) {
          for (Key key : allKeys(model, collections)) {
            check.get(key, at, "after purge at horizon " + horizon);
          }
        }
      }
      // Writes after a purge still close and read right.
      Version horizon = model.lastEpoch();
      for (int i = 0; i < 3; i++) {
        Epoch epoch = run.randomEpoch(collections, KEYS, model.lastEpoch());
        model.record(epoch);
        applyFresh(writer, epoch, run);
        watermarks.makeVisibleCovers(epoch.version());
      }
      for (Version at : readPoints(model)) {
        if (!at.isBefore(horizon)) {
          for (Key key : allKeys(model, collections)) {
            check.get(key, at, "epochs written after a purge");
          }
        }
      }
      assertThat(writer.purge(run.collection("never_written"), model.lastEpoch()))
          .as("purge of a collection never written (%s)", run)
          .isZero();
      check.assertCacheAnswered();
    }
  }

  /**
   * A reader at a fixed S, and readers at the newest watermark, running while another thread
   * applies epochs, never see a half-applied epoch: every epoch writes its number into the same N
   * keys of two collections (or deletes all of them), and a read of all N keys at one S sees
   * exactly the model's value set at S.
   */
  @Test
  public void concurrentReadersNeverSeeAHalfAppliedEpoch() throws Exception {
    Run run = new Run("concurrent");
    try (StoreFixture store = openStore(run.testName)) {
      StoreWriter writer = store.writer();
      StoreReader reader = store.reader();
      List<String> collections = run.collections("ads", "users");
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        keys.add("key-" + i);
      }
      SourceModel model = new SourceModel();
      List<Epoch> epochs = new ArrayList<>();
      for (int number = 1; number <= 40; number++) {
        Epoch.Builder builder = Epoch.builder(run.source);
        for (String collection : collections) {
          for (String key : keys) {
            builder.add(
                number % 7 == 0
                    ? Write.delete(collection, key)
                    : Write.upsert(
                        collection,
                        key,
                        Map.of("epoch", number, "title", WORDS.get(number % WORDS.size()))));
          }
        }
        Epoch epoch = builder.build(run.versions.next());
        model.record(epoch);
        epochs.add(epoch);
      }
      Watermarks watermarks = new Watermarks(writer, run);
      int settledEpochs = 3;
      for (Epoch epoch : epochs.subList(0, settledEpochs)) {
        applyFresh(writer, epoch, run);
        watermarks.makeVisibleCovers(epoch.version());
      }
      Version fixed = epochs.get(settledEpochs - 1).version();
      AtomicReference<Version> visible = new AtomicReference<>(fixed);
      AtomicBoolean writing = new AtomicBoolean(true);
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      AtomicLong fixedRounds = new AtomicLong();
      AtomicLong movingRounds = new AtomicLong();
      long deadline = System.nanoTime() + concurrencyDeadline().toNanos();
      CountDownLatch done = new CountDownLatch(3);
      List<Key> allKeys = new ArrayList<>();
      for (String collection : collections) {
        for (String key : keys) {
          allKeys.add(new Key(collection, key));
        }
      }

      Thread writerThread =
          new Thread(
              () -> {
                try {
                  for (Epoch epoch : epochs.subList(settledEpochs, epochs.size())) {
                    applyFresh(writer, epoch, run);
                    Stamp stamp = writer.makeVisible();
                    if (keepsWatermark()) {
                      assertThat(stamp.get(run.source))
                          .as("watermark after epoch %s (%s)", epoch.version(), run)
                          .hasValueSatisfying(
                              v -> assertThat(v).isGreaterThanOrEqualTo(epoch.version()));
                    }
                    visible.set(epoch.version());
                    if (System.nanoTime() > deadline) {
                      throw new AssertionError("writer did not finish in " + concurrencyDeadline());
                    }
                  }
                } catch (Throwable t) {
                  failures.add(t);
                } finally {
                  writing.set(false);
                  done.countDown();
                }
              },
              "contract-writer");
      Runnable fixedReader =
          () -> {
            try {
              do {
                readConsistentCut(reader, model, allKeys, fixed, run, "reader at fixed S");
                fixedRounds.incrementAndGet();
              } while (writing.get() && failures.isEmpty() && System.nanoTime() < deadline);
            } catch (Throwable t) {
              failures.add(t);
            } finally {
              done.countDown();
            }
          };
      Runnable movingReader =
          () -> {
            try {
              do {
                Version at = visible.get();
                if (keepsWatermark()) {
                  at = writer.watermark().getOrElse(run.source, at);
                }
                readConsistentCut(
                    reader, model, allKeys, at, run, "reader at the newest watermark");
                movingRounds.incrementAndGet();
              } while (writing.get() && failures.isEmpty() && System.nanoTime() < deadline);
            } catch (Throwable t) {
              failures.add(t);
            } finally {
              done.countDown();
            }
          };
      Thread a = new Thread(fixedReader, "contract-reader-fixed");
      Thread b = new Thread(movingReader, "contract-reader-moving");
      writerThread.start();
      a.start();
      b.start();
      done.await();
      if (!failures.isEmpty()) {
        AssertionError error =
            new AssertionError(
                "concurrent readers or writer failed (" + run + ")", failures.peek());
        failures.stream().skip(1).forEach(error::addSuppressed);
        throw error;
      }
      assertThat(fixedRounds.get()).as("rounds read at the fixed S").isPositive();
      assertThat(movingRounds.get()).as("rounds read at the newest watermark").isPositive();
      ReadChecker check = new ReadChecker(reader, model, run);
      for (Version at : readPoints(model)) {
        for (Key key : allKeys) {
          check.get(key, at, "after the concurrent run");
        }
      }
    }
  }

  /**
   * Awkward values round-trip: 1 MB values, unicode keys, keys with {@code @ / :} and spaces, empty
   * strings, nested maps and lists, longs, doubles, booleans and nulls.
   */
  @Test
  public void awkwardKeysAndValuesRoundTrip() throws Exception {
    Run run = new Run("roundtrip");
    try (StoreFixture store = openStore(run.testName)) {
      StoreWriter writer = store.writer();
      String values = run.collection("values");
      String large = run.collection("large");
      List<String> keys =
          List.of(
              "ключ-🔑",
              "user@example.com",
              "a/b/c",
              "urn:tidemark:ads:1",
              "with  two spaces ",
              " ",
              "mixed @/: ключ 🔑",
              "ü".repeat(100) + "/long");
      SourceModel model = new SourceModel();
      Watermarks watermarks = new Watermarks(writer, run);

      Epoch.Builder first = Epoch.builder(run.source);
      for (String key : keys) {
        first.add(Write.upsert(values, key, awkwardDocument(key, 1)));
      }
      first.add(Write.upsert(large, "big", largeDocument('a')));
      first.add(Write.upsert(large, "ключ-🔑 big", largeDocument('c')));
      Epoch one = first.build(run.versions.next());

      Epoch.Builder second = Epoch.builder(run.source);
      for (int i = 0; i < keys.size(); i += 2) {
        second.add(Write.upsert(values, keys.get(i), awkwardDocument(keys.get(i), 2)));
      }
      second.add(Write.delete(values, keys.get(1)));
      second.add(Write.upsert(large, "big", largeDocument('b')));
      Epoch two = second.build(run.versions.next());

      for (Epoch epoch : List.of(one, two)) {
        model.record(epoch);
        applyFresh(writer, epoch, run);
        watermarks.makeVisibleCovers(epoch.version());
      }
      ReadChecker check = new ReadChecker(store.reader(), model, run);
      for (Version at : readPoints(model)) {
        for (Key key : model.keys()) {
          check.get(key, at, "awkward values");
        }
      }
      for (Key key : model.keys()) {
        check.latest(key, "awkward values");
      }
      check.assertCacheAnswered();
    }
  }

  /**
   * Applying an epoch above the watermark again (a crash after apply, before the watermark moved)
   * leaves the same reads as applying it once; so does applying it after only part of its writes
   * got in.
   */
  @Test
  public void reapplyingAHalfAppliedEpochLeavesTheSameReads() throws Exception {
    Run run = new Run("reapply");
    try (StoreFixture store = openStore(run.testName)) {
      StoreWriter writer = store.writer();
      List<String> collections = run.collections("ads", "users");
      SourceModel model = new SourceModel();
      Watermarks watermarks = new Watermarks(writer, run);
      watermarks.applyVisibleHistory(model, collections, 5);
      ReadChecker check = new ReadChecker(store.reader(), model, run);

      // Applied twice before it was made visible.
      Epoch twice = run.updatingEpoch(collections, KEYS, model);
      model.record(twice);
      applyFresh(writer, twice, run);
      assertSucceeded(writer.apply(twice), twice, run, "second application before makeVisible");
      watermarks.makeVisibleCovers(twice.version());
      checkEverything(check, model, collections, "epoch applied twice");

      // Only its first half got in, then the whole epoch is applied.
      Epoch whole = run.updatingEpoch(collections, KEYS, model);
      List<Write> half = whole.writes().subList(0, (whole.writes().size() + 1) / 2);
      Epoch partial = new Epoch(run.source, whole.version(), half, half.size());
      applyFresh(writer, partial, run);
      watermarks.observe();
      if (keepsWatermark()
          && writer.watermark().getOrElse(run.source, Version.ZERO).equals(whole.version())) {
        // The store moved its watermark with the partial epoch: for it, that epoch is complete, and
        // the whole one is a replay.
        model.record(partial);
        applyReplay(writer, whole, run, "whole epoch after the store took the partial one");
      } else {
        model.record(whole);
        assertSucceeded(writer.apply(whole), whole, run, "whole epoch after a partial application");
      }
      watermarks.makeVisibleCovers(whole.version());
      checkEverything(check, model, collections, "epoch applied after a partial application");
      check.assertCacheAnswered();
    }
  }

  /**
   * An epoch that arrives in parts (the initial snapshot of a large table): each part's writes are
   * applied, but the watermark does not reach the version until the whole epoch arrives; a part
   * applied again afterwards changes nothing.
   */
  @Test
  public void anEpochInPartsMovesTheWatermarkOnlyWhenWhole() throws Exception {
    Run run = new Run("parts");
    try (StoreFixture store = openStore(run.testName)) {
      StoreWriter writer = store.writer();
      List<String> collections = run.collections("ads", "users");
      SourceModel model = new SourceModel();
      Watermarks watermarks = new Watermarks(writer, run);
      watermarks.applyVisibleHistory(model, collections, 3);
      Epoch whole = run.updatingEpoch(collections, KEYS, model);
      Version version = whole.version();
      List<Epoch> parts = new ArrayList<>();
      int size = Math.max(1, (whole.writes().size() + 2) / 3);
      for (int from = 0; from < whole.writes().size(); from += size) {
        List<Write> part =
            whole.writes().subList(from, Math.min(from + size, whole.writes().size()));
        parts.add(Epoch.part(run.source, version, part));
      }
      for (Epoch part : parts) {
        applyFresh(writer, part, run);
        Stamp visible = writer.makeVisible();
        assertThat(visible.getOrElse(run.source, Version.ZERO))
            .as("watermark after a part of epoch %s (%s)", version, run)
            .isLessThan(version);
      }
      model.record(whole);
      Epoch closing = new Epoch(run.source, version, List.of(), 0);
      assertSucceeded(writer.apply(closing), closing, run, "the whole epoch after its parts");
      watermarks.makeVisibleCovers(version);
      applyReplay(writer, parts.get(0), run, "a part after the whole epoch");
      ReadChecker check = new ReadChecker(store.reader(), model, run);
      checkEverything(check, model, collections, "epoch applied in parts");
      check.assertCacheAnswered();
    }
  }

  /**
   * After {@link StoreWriter#clear}, no read of the collection finds anything at any snapshot and
   * the watermark is gone; the other collections still read as their source (a cache may miss).
   */
  @Test
  public void clearLeavesACollectionAsIfNothingHadBeenWritten() throws Exception {
    Run run = new Run("clear");
    try (StoreFixture store = openStore(run.testName)) {
      StoreWriter writer = store.writer();
      List<String> collections = run.collections("ads", "users");
      SourceModel model = new SourceModel();
      Watermarks watermarks = new Watermarks(writer, run);
      watermarks.applyVisibleHistory(model, collections, 4);
      String cleared = collections.get(0);
      writer.clear(cleared);
      writer.clear(cleared); // idempotent
      assertThat(writer.watermark().get(run.source))
          .as("watermark after clear (%s)", run)
          .isEmpty();
      for (Version at : readPoints(model)) {
        for (String key : KEYS) {
          Lookup lookup = store.reader().get(cleared, key, at);
          assertThat(lookup.isFound())
              .as("get(%s, %s, %s) after clear (%s): %s", cleared, key, at, run, lookup.entry())
              .isFalse();
        }
      }
      ReadChecker check = new ReadChecker(store.reader(), model, run);
      checkEverything(check, model, List.of(collections.get(1)), "the other collection");
    }
  }

  /**
   * For stores that search ({@link SearchReader}): the documents matching a word at S are exactly
   * the model's rows at S whose {@code title} contains that word; the same for the latest search.
   * Skipped for stores that do not search.
   */
  @Test
  public void searchAtASnapshotFindsExactlyTheMatchingRowsOfThatSnapshot() throws Exception {
    Run run = new Run("search");
    try (StoreFixture store = openStore(run.testName)) {
      Assumptions.assumeTrue(
          store.reader() instanceof SearchReader, "the store does not implement SearchReader");
      SearchReader reader = (SearchReader) store.reader();
      List<String> collections = run.collections("ads");
      SourceModel model = new SourceModel();
      Watermarks watermarks = new Watermarks(store.writer(), run);
      watermarks.applyVisibleHistory(model, collections, 10);
      String collection = collections.get(0);
      List<String> words = List.of(WORDS.get(0), WORDS.get(3), WORDS.get(7));
      for (String word : words) {
        for (Version at : readPoints(model)) {
          checkSearch(reader.search(collection, word, at, 1000), model, collection, word, at, run);
        }
        checkSearch(
            reader.searchLatest(collection, word, 1000),
            model,
            collection,
            word,
            Version.OPEN,
            run);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Checks

  private void checkSearch(
      List<Entry> hits, SourceModel model, String collection, String word, Version at, Run run) {
    String where =
        "search('"
            + word
            + "') in "
            + collection
            + " at "
            + (at.equals(Version.OPEN) ? "latest" : at)
            + " ("
            + run
            + ")";
    Map<String, Step> expected = new TreeMap<>();
    for (Key key : model.keys()) {
      if (key.collection().equals(collection)) {
        model
            .presentAt(key, at)
            .filter(s -> titleWords(s.document()).contains(word))
            .ifPresent(s -> expected.put(key.key(), s));
      }
    }
    Map<String, Entry> got = new TreeMap<>();
    for (Entry hit : hits) {
      assertThat(got.put(hit.key(), hit)).as("%s: key %s found twice", where, hit.key()).isNull();
    }
    assertThat(got.keySet()).as("%s: keys found", where).isEqualTo(expected.keySet());
    for (Map.Entry<String, Step> e : expected.entrySet()) {
      Entry hit = got.get(e.getKey());
      assertThat(hit.range().from())
          .as("%s: version of %s", where, e.getKey())
          .isEqualTo(e.getValue().version());
      if (!at.equals(Version.OPEN)) {
        assertThat(hit.range().visibleAt(at))
            .as("%s: range %s of %s visible at %s", where, hit.range(), e.getKey(), at)
            .isTrue();
      }
      assertThat(JsonNormalization.normalize(hit.document()))
          .as("%s: document of %s", where, e.getKey())
          .isEqualTo(JsonNormalization.normalize(e.getValue().document()));
    }
  }

  private static Set<String> titleWords(Map<String, Object> document) {
    Object title = document.get("title");
    return title instanceof String text ? new HashSet<>(Arrays.asList(text.split(" "))) : Set.of();
  }

  private void readConsistentCut(
      StoreReader reader, SourceModel model, List<Key> keys, Version at, Run run, String what) {
    // Exact equality with the model at S for every key implies one consistent value set.
    ReadChecker check = new ReadChecker(reader, model, run);
    for (Key key : keys) {
      check.get(key, at, what);
    }
  }

  private void checkEverything(
      ReadChecker check, SourceModel model, List<String> collections, String what) {
    for (Version at : readPoints(model)) {
      for (Key key : allKeys(model, collections)) {
        check.get(key, at, what);
      }
    }
    for (Key key : allKeys(model, collections)) {
      check.latest(key, what);
    }
  }

  /** Applies an epoch that the store has not seen: every write APPLIED, in order. */
  private static void applyFresh(StoreWriter writer, Epoch epoch, Run run) {
    ApplyResult result = writer.apply(epoch);
    String where = "apply of epoch " + epoch.version() + " (" + run + ")";
    checkShape(result, epoch, where);
    for (WriteResult r : result.results()) {
      assertThat(r.outcome())
          .as("%s: outcome of %s (reason: %s)", where, r.write(), r.reason())
          .isEqualTo(WriteOutcome.APPLIED);
    }
  }

  /** Applies an epoch the store has seen: ALREADY_APPLIED when at/below a kept watermark. */
  private void applyReplay(StoreWriter writer, Epoch epoch, Run run, String what) {
    ApplyResult result = writer.apply(epoch);
    String where = what + ": apply of epoch " + epoch.version() + " (" + run + ")";
    checkShape(result, epoch, where);
    for (WriteResult r : result.results()) {
      if (keepsWatermark()) {
        assertThat(r.outcome())
            .as("%s: outcome of %s (reason: %s)", where, r.write(), r.reason())
            .isEqualTo(WriteOutcome.ALREADY_APPLIED);
      } else {
        assertThat(r.outcome().succeeded())
            .as("%s: outcome %s of %s (reason: %s)", where, r.outcome(), r.write(), r.reason())
            .isTrue();
      }
    }
  }

  private static void assertSucceeded(ApplyResult result, Epoch epoch, Run run, String what) {
    String where = what + ": apply of epoch " + epoch.version() + " (" + run + ")";
    checkShape(result, epoch, where);
    for (WriteResult r : result.results()) {
      assertThat(r.outcome().succeeded())
          .as("%s: outcome %s of %s (reason: %s)", where, r.outcome(), r.write(), r.reason())
          .isTrue();
    }
  }

  private static void checkShape(ApplyResult result, Epoch epoch, String where) {
    assertThat(result).as(where).isNotNull();
    assertThat(result.version()).as("%s: result version", where).isEqualTo(epoch.version());
    assertThat(result.results())
        .as("%s: one result per write", where)
        .hasSize(epoch.writes().size());
    for (int i = 0; i < epoch.writes().size(); i++) {
      assertThat(result.results().get(i).write())
          .as("%s: result %d is for write %s", where, i, epoch.writes().get(i))
          .isEqualTo(epoch.writes().get(i));
    }
  }

  private static void assertSameReads(
      Map<String, String> before, Map<String, String> after, Run run, String what) {
    Map<String, String> changed = new TreeMap<>();
    for (Map.Entry<String, String> e : before.entrySet()) {
      String now = after.get(e.getKey());
      if (!e.getValue().equals(now)) {
        changed.put(e.getKey(), abbreviate(e.getValue()) + "  →  " + abbreviate(now));
      }
    }
    assertThat(changed).as("reads changed by %s (%s)", what, run).isEmpty();
  }

  /** S values to read at: below the first epoch, every epoch, and between epochs. */
  static List<Version> readPoints(SourceModel model) {
    List<Version> epochs = model.epochs();
    Set<Version> points = new LinkedHashSet<>();
    points.add(Version.of(epochs.get(0).asLong() - 1));
    for (int i = 0; i < epochs.size(); i++) {
      Version v = epochs.get(i);
      points.add(v);
      if (i + 1 < epochs.size()) {
        Version between = Version.of(v.asLong() + 1);
        if (between.isBefore(epochs.get(i + 1))) {
          points.add(between);
        }
      }
    }
    return List.copyOf(points);
  }

  /** The model's keys of these collections, plus one never-written key per collection. */
  static List<Key> allKeys(SourceModel model, List<String> collections) {
    Set<Key> keys = new LinkedHashSet<>();
    for (Key key : model.keys()) {
      if (collections.contains(key.collection())) {
        keys.add(key);
      }
    }
    for (String collection : collections) {
      keys.add(new Key(collection, "never-written"));
    }
    return List.copyOf(keys);
  }

  private static String abbreviate(String text) {
    return text == null || text.length() <= 300 ? text : text.substring(0, 300) + "…";
  }

  /** Compares store reads with the model; counts the cache's answers. */
  final class ReadChecker {
    private final StoreReader reader;
    private final SourceModel model;
    private final Run run;
    private final boolean authoritative;
    private long answers;

    ReadChecker(StoreReader reader, SourceModel model, Run run) {
      this.reader = reader;
      this.model = model;
      this.run = run;
      this.authoritative = reader.authoritative();
    }

    Lookup get(Key key, Version at, String what) {
      String where = what + ": get(" + key + ") at " + at + " (" + run + ")";
      Lookup got = reader.get(key.collection(), key.key(), at);
      check(got, key, model.at(key, at), at, where);
      return got;
    }

    Lookup latest(Key key, String what) {
      String where = what + ": latest(" + key + ") (" + run + ")";
      Lookup got = reader.latest(key.collection(), key.key());
      check(got, key, model.latest(key), null, where);
      return got;
    }

    private void check(Lookup got, Key key, Optional<Step> expected, Version at, String where) {
      assertThat(got).as(where).isNotNull();
      if (got.isMiss()) {
        assertThat(authoritative).as("%s: an authoritative store answered MISS", where).isFalse();
        return;
      }
      answers++;
      if (expected.isEmpty() || expected.get().deleted()) {
        assertThat(got.kind())
            .as(
                "%s: expected ABSENT (%s), got %s",
                where,
                expected.isEmpty()
                    ? "never written by then"
                    : "deleted at " + expected.get().version(),
                abbreviate(got.toString()))
            .isEqualTo(Lookup.Kind.ABSENT);
        return;
      }
      Step step = expected.get();
      assertThat(got.kind())
          .as("%s: expected the document written at %s", where, step.version())
          .isEqualTo(Lookup.Kind.FOUND);
      Entry entry = got.entry().orElseThrow();
      assertThat(entry.key()).as("%s: entry key", where).isEqualTo(key.key());
      assertThat(entry.range().from())
          .as("%s: version of the entry (range %s)", where, entry.range())
          .isEqualTo(step.version());
      if (at != null) {
        assertThat(entry.range().visibleAt(at))
            .as("%s: range %s visible at %s", where, entry.range(), at)
            .isTrue();
      } else {
        assertThat(entry.range().isOpen())
            .as("%s: latest entry's range %s is open", where, entry.range())
            .isTrue();
      }
      Object want = JsonNormalization.normalize(step.document());
      Object have = JsonNormalization.normalize(entry.document());
      if (!want.equals(have)) {
        fail(
            "%s: document differs from the one written at %s%n expected: %s%n but was: %s",
            where,
            step.version(),
            abbreviate(String.valueOf(want)),
            abbreviate(String.valueOf(have)));
      }
    }

    /** Every read (model keys × points, and latest) described for before/after comparison. */
    Map<String, String> snapshotOfReads(List<Version> points, List<String> collections) {
      Map<String, String> reads = new LinkedHashMap<>();
      for (Key key : allKeys(model, collections)) {
        for (Version at : points) {
          reads.put(key + " at " + at, describe(reader.get(key.collection(), key.key(), at)));
        }
        reads.put(key + " latest", describe(reader.latest(key.collection(), key.key())));
      }
      return reads;
    }

    /** Caches must answer some reads, or every check above would pass vacuously. */
    void assertCacheAnswered() {
      assertThat(answers)
          .as("reads answered FOUND or ABSENT rather than MISS (%s)", run)
          .isPositive();
    }
  }

  private static String describe(Lookup lookup) {
    return lookup
        .entry()
        .map(e -> "found " + e.range() + " " + JsonNormalization.normalize(e.document()))
        .orElse(lookup.kind().name());
  }

  /** Tracks the watermark of the run's source: it must never move back. */
  final class Watermarks {
    private final StoreWriter writer;
    private final Run run;
    private Version last = Version.ZERO;

    Watermarks(StoreWriter writer, Run run) {
      this.writer = writer;
      this.run = run;
    }

    /**
     * Applies a random history of {@code epochs} epochs over {@code collections}, each epoch made
     * visible, and records it in {@code model}.
     */
    void applyVisibleHistory(SourceModel model, List<String> collections, int epochs) {
      for (Epoch epoch : run.randomHistory(collections, KEYS, epochs)) {
        model.record(epoch);
        applyFresh(writer, epoch, run);
        makeVisibleCovers(epoch.version());
      }
    }

    void observe() {
      note(writer.watermark(), "watermark()");
    }

    void makeVisibleCovers(Version version) {
      Stamp stamp = writer.makeVisible();
      note(stamp, "makeVisible()");
      if (keepsWatermark()) {
        assertThat(stamp.getOrElse(run.source, Version.ZERO))
            .as("makeVisible() after epoch %s: watermark of %s (%s)", version, run.source, run)
            .isGreaterThanOrEqualTo(version);
        assertThat(writer.watermark().getOrElse(run.source, Version.ZERO))
            .as("watermark() after epoch %s was made visible (%s)", version, run)
            .isGreaterThanOrEqualTo(version);
      }
      observe();
    }

    private void note(Stamp stamp, String what) {
      assertThat(stamp).as(what).isNotNull();
      Version now = stamp.getOrElse(run.source, Version.ZERO);
      assertThat(now)
          .as("%s moved back from %s (%s)", what, last, run)
          .isGreaterThanOrEqualTo(last);
      last = now;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Data

  /** One test's names, random source and version clock. */
  static final class Run {
    final String testName;
    final long seed;
    final Random random;
    final String prefix;
    final String source;
    final VersionClock versions;

    Run(String testName) {
      this.testName = testName;
      this.seed = BASE_SEED ^ testName.hashCode();
      this.random = new Random(seed);
      synchronized (NAMES) {
        this.prefix =
            String.format(
                Locale.ROOT, "ct%06x_%d", NAMES.nextInt(1 << 24), NAMESPACES.incrementAndGet());
      }
      this.source = prefix + "_src";
      this.versions = new VersionClock(random);
    }

    String collection(String name) {
      return prefix + "_" + name;
    }

    List<String> collections(String... names) {
      return Arrays.stream(names).map(this::collection).toList();
    }

    /** Random epochs; the first key of the first collection changes in every epoch. */
    List<Epoch> randomHistory(List<String> collections, List<String> keys, int count) {
      List<Epoch> epochs = new ArrayList<>();
      Version last = Version.ZERO;
      for (int i = 0; i < count; i++) {
        Epoch epoch = randomEpoch(collections, keys, last);
        epochs.add(epoch);
        last = epoch.version();
      }
      return epochs;
    }

    Epoch randomEpoch(List<String> collections, List<String> keys, Version after) {
      Epoch.Builder builder = Epoch.builder(source);
      builder.add(Write.upsert(collections.get(0), keys.get(0), randomDocument(keys.get(0))));
      int touched = 1 + random.nextInt(keys.size());
      for (int i = 0; i < touched; i++) {
        String collection = collections.get(random.nextInt(collections.size()));
        String key = keys.get(random.nextInt(keys.size()));
        builder.add(
            random.nextInt(4) == 0
                ? Write.delete(collection, key)
                : Write.upsert(collection, key, randomDocument(key)));
      }
      Version version = versions.next();
      if (!after.isBefore(version)) {
        throw new IllegalStateException("version clock went back");
      }
      return builder.build(version);
    }

    /** An epoch that updates and deletes keys that exist in the model now. */
    Epoch updatingEpoch(List<String> collections, List<String> keys, SourceModel model) {
      Epoch.Builder builder = Epoch.builder(source);
      List<Key> present = new ArrayList<>();
      for (Key key : model.keys()) {
        if (model.presentAt(key, Version.OPEN).isPresent()) {
          present.add(key);
        }
      }
      for (int i = 0; i < present.size(); i++) {
        Key key = present.get(i);
        builder.add(
            i % 3 == 2
                ? Write.delete(key.collection(), key.key())
                : Write.upsert(key.collection(), key.key(), randomDocument(key.key())));
      }
      builder.add(
          Write.upsert(
              collections.get(collections.size() - 1),
              "fresh-" + random.nextInt(1000),
              randomDocument("fresh")));
      return builder.build(versions.next());
    }

    Map<String, Object> randomDocument(String key) {
      Map<String, Object> doc = new LinkedHashMap<>();
      int words = 1 + random.nextInt(3);
      List<String> title = new ArrayList<>();
      for (int i = 0; i < words; i++) {
        title.add(WORDS.get(random.nextInt(WORDS.size())));
      }
      doc.put("title", String.join(" ", title));
      doc.put("n", random.nextLong());
      doc.put("price", random.nextInt(1_000_000) / 100.0);
      doc.put("flag", random.nextBoolean());
      doc.put("note", random.nextBoolean() ? null : "note " + random.nextInt(100));
      doc.put("tags", List.of(title.get(0), ""));
      Map<String, Object> meta = new HashMap<>();
      meta.put("key", key);
      meta.put("rev", random.nextInt(1000));
      doc.put("meta", meta);
      return doc;
    }

    @Override
    public String toString() {
      return "test "
          + testName
          + ", names "
          + prefix
          + "_*, seed "
          + seed
          + "; rerun with -Dtidemark.contract.seed="
          + BASE_SEED;
    }
  }

  /**
   * Increasing versions with gaps (so there are S values between epochs), starting just below 1/0
   * so that histories cross the 32-bit boundary of the {@code X/Y} form.
   */
  static final class VersionClock {
    private final Random random;
    private long next;

    VersionClock(Random random) {
      this.random = random;
      this.next = 0x1_0000_0000L - 2_000 - random.nextInt(20_000);
    }

    Version next() {
      next += 2 + random.nextInt(3_000);
      return Version.of(next);
    }
  }

  static Map<String, Object> doc(String title) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("title", title);
    return doc;
  }

  /** Every JSON shape in one document. */
  static Map<String, Object> awkwardDocument(String key, int revision) {
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("numbers", List.of(1, 2L, 3));
    nested.put("names", Arrays.asList("a", "", null, "ключ"));
    nested.put(
        "objects",
        List.of(
            Map.of("n", 1),
            Map.of("n", 2, "deep", Map.of("flags", List.of(true, false), "empty", Map.of()))));
    nested.put("emptyMap", Map.of());
    nested.put("emptyList", List.of());
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("title", "awkward " + revision);
    doc.put("key", key);
    doc.put("empty", "");
    doc.put("nothing", null);
    doc.put("yes", true);
    doc.put("no", false);
    doc.put("maxLong", Long.MAX_VALUE);
    doc.put("minLong", Long.MIN_VALUE);
    doc.put("zero", 0);
    doc.put("revision", revision);
    doc.put("pi", 3.14159);
    doc.put("tiny", -2.5e-7);
    doc.put("large", 1.0e15);
    doc.put("unicode", "ключ-🔑 ü 中文 \"quoted\" back\\slash tab\t newline\n");
    doc.put("ключ-🔑", "unicode field name");
    doc.put("nested", nested);
    return doc;
  }

  /** A document of about 1 MB (one string field of {@link #LARGE_VALUE_CHARS} characters). */
  static Map<String, Object> largeDocument(char fill) {
    StringBuilder body = new StringBuilder(LARGE_VALUE_CHARS);
    String word = fill + "word ";
    while (body.length() + word.length() <= LARGE_VALUE_CHARS) {
      body.append(word);
    }
    while (body.length() < LARGE_VALUE_CHARS) {
      body.append(fill);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("title", "large " + fill);
    doc.put("body", body.toString());
    return doc;
  }
}
