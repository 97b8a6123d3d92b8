package io.tidemark.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.it.History.Answer;
import io.tidemark.it.History.Doc;
import io.tidemark.it.History.Key;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Version;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The checker passes a correct history and finds each kind of corruption: a checker that cannot
 * fail proves nothing.
 */
class CheckerTest {

  private static final ConsistencyLevel SNAPSHOT = ConsistencyLevel.SNAPSHOT;

  private static Version v(long lsn) {
    return Version.of(lsn);
  }

  private static Map<String, Object> ad(long id, String title, Integer price) {
    java.util.HashMap<String, Object> doc = new java.util.HashMap<>();
    doc.put("id", id);
    doc.put("title", title);
    doc.put("price", price);
    return doc;
  }

  private static Key key(long id) {
    return new Key("ads", Long.toString(id));
  }

  /**
   * tx1 [100..110] writes ads/1 and ads/2; tx2 [200..210] updates ads/1, deletes ads/2; tx3
   * [300..320] updates ads/1 and ads/3 (to be read with S inside its bracket: ambiguous).
   */
  private static History history() {
    History h = new History();
    h.committed(
        1,
        v(100),
        v(110),
        Map.of(
            key(1), Optional.of(ad(1, "red bike", 10)),
            key(2), Optional.of(ad(2, "blue car", null))));
    h.committed(
        2,
        v(200),
        v(210),
        Map.of(
            key(1), Optional.of(ad(1, "red bike", 12)),
            key(2), Optional.empty()));
    h.committed(
        3,
        v(300),
        v(320),
        Map.of(
            key(1), Optional.of(ad(1, "green bike", 15)),
            key(3), Optional.of(ad(3, "green car", 7))));
    return h;
  }

  private static void get(History h, long group, String store, Version at, long id, Answer answer) {
    h.read(
        group,
        "library",
        store,
        store.equals("cache"),
        SNAPSHOT,
        at,
        "ads",
        Long.toString(id),
        null,
        answer);
  }

  private static Answer found(long id, Version version, Map<String, Object> doc) {
    return Answer.found(new Doc(Long.toString(id), version, doc));
  }

  @Test
  void aCorrectHistoryPasses() {
    History h = history();
    long g = h.nextGroup();
    get(h, g, "readdb", v(150), 1, found(1, v(110), ad(1, "red bike", 10)));
    get(h, g, "cache", v(150), 2, found(2, v(110), ad(2, "blue car", null)));
    get(h, g, "search", v(150), 3, Answer.absent());
    long g2 = h.nextGroup();
    get(h, g2, "readdb", v(250), 2, Answer.absent());
    get(h, g2, "cache", v(250), 1, Answer.miss());
    h.read(
        g2,
        "sidecar",
        "search",
        false,
        SNAPSHOT,
        v(250),
        "ads",
        null,
        "bike",
        Answer.hits(List.of(new Doc("1", v(210), ad(1, "red bike", 12)))));
    // S = 310 is inside tx3's bracket: either both of its rows are there, or neither.
    long g3 = h.nextGroup();
    get(h, g3, "readdb", v(310), 1, found(1, v(310), ad(1, "green bike", 15)));
    get(h, g3, "search", v(310), 3, found(3, v(310), ad(3, "green car", 7)));
    long g4 = h.nextGroup();
    get(h, g4, "readdb", v(310), 1, found(1, v(210), ad(1, "red bike", 12)));
    get(h, g4, "cache", v(310), 3, Answer.absent());
    h.read(
        h.nextGroup(),
        "library",
        "readdb",
        false,
        ConsistencyLevel.AT_LEAST,
        v(250),
        "ads",
        "1",
        null,
        found(1, v(320), ad(1, "green bike", 15)));
    h.read(
        h.nextGroup(),
        "library",
        "readdb",
        false,
        ConsistencyLevel.LATEST,
        null,
        "ads",
        "2",
        null,
        found(2, v(110), ad(2, "blue car", null)));
    h.observed("reader-1", v(110));
    h.observed("reader-1", v(210));
    h.observed("reader-2", v(110));
    h.readYourWrites(2, v(210), Optional.of(v(210)));
    h.readYourWrites(3, v(320), Optional.empty());
    h.refusal("sidecar", "tm1:nope", "bad_token", "bad_token");

    Checker.Report report = Checker.check(h);

    assertThat(report.violations).isEmpty();
    assertThat(report.checked()).isEqualTo(11);
    assertThat(report.ambiguous.values().stream().mapToLong(Long::longValue).sum())
        .as("the reads at 310 of rows tx3 wrote")
        .isEqualTo(4);
    assertThat(report.groupsWithAmbiguity).isEqualTo(2);
    assertThat(report.readYourWritesMet).isEqualTo(1);
    assertThat(report.readYourWritesTimedOut).isEqualTo(1);
    assertThat(report.misses).containsEntry("library/cache/snapshot", 1L);
  }

  @Test
  void aStaleValueAtASnapshotIsAViolation() {
    History h = history();
    get(h, h.nextGroup(), "cache", v(250), 1, found(1, v(110), ad(1, "red bike", 10)));
    Checker.Report report = Checker.check(h);
    assertThat(report.violations)
        .singleElement()
        .satisfies(
            violation -> {
              assertThat(violation.invariant()).isEqualTo("1");
              assertThat(violation.expected()).contains("price=12").contains("tx#2");
              assertThat(violation.actual()).contains("price=10");
              assertThat(violation.around()).anyMatch(line -> line.contains("tx#2"));
            });
  }

  @Test
  void aRowDeletedAtTheSnapshotReadAsPresentIsAViolation() {
    History h = history();
    get(h, h.nextGroup(), "readdb", v(250), 2, found(2, v(110), ad(2, "blue car", null)));
    assertThat(Checker.check(h).violations)
        .singleElement()
        .satisfies(violation -> assertThat(violation.expected()).contains("deleted by tx#2"));
  }

  @Test
  void aValueFromTheFutureIsAViolation() {
    History h = history();
    get(h, h.nextGroup(), "readdb", v(150), 3, found(3, v(320), ad(3, "green car", 7)));
    assertThat(Checker.check(h).violations).hasSize(1);
  }

  @Test
  void theRightValueWithAVersionAboveTheSnapshotIsAViolation() {
    History h = history();
    get(h, h.nextGroup(), "readdb", v(250), 1, found(1, v(260), ad(1, "red bike", 12)));
    assertThat(Checker.check(h).violations)
        .singleElement()
        .satisfies(violation -> assertThat(violation.expected()).contains("version in"));
  }

  @Test
  void halfOfAnAmbiguousTransactionIsAViolation() {
    History h = history();
    long g = h.nextGroup();
    get(h, g, "readdb", v(310), 1, found(1, v(310), ad(1, "green bike", 15)));
    get(h, g, "readdb", v(310), 3, Answer.absent()); // tx3's other row is missing: not atomic
    Checker.Report report = Checker.check(h);
    assertThat(report.violations)
        .singleElement()
        .satisfies(
            violation -> {
              assertThat(violation.invariant()).isEqualTo("1/2");
              assertThat(violation.around()).anyMatch(line -> line.contains("tx#3"));
            });
  }

  @Test
  void twoStoresDisagreeingAboutAnAmbiguousTransactionIsAViolation() {
    History h = history();
    long g = h.nextGroup();
    get(h, g, "readdb", v(310), 1, found(1, v(310), ad(1, "green bike", 15)));
    get(h, g, "cache", v(310), 1, found(1, v(210), ad(1, "red bike", 12)));
    assertThat(Checker.check(h).violations).hasSize(1);
  }

  @Test
  void eachOfThoseReadsAloneIsFine() {
    History h = history();
    get(h, h.nextGroup(), "readdb", v(310), 1, found(1, v(310), ad(1, "green bike", 15)));
    get(h, h.nextGroup(), "cache", v(310), 1, found(1, v(210), ad(1, "red bike", 12)));
    assertThat(Checker.check(h).violations).isEmpty();
  }

  @Test
  void anAuthoritativeMissIsAViolation() {
    History h = history();
    get(h, h.nextGroup(), "readdb", v(150), 1, Answer.miss());
    assertThat(Checker.check(h).violations).hasSize(1);
  }

  @Test
  void aSearchMissingARowOrShowingAnExtraOneIsAViolation() {
    History h = history();
    h.read(
        h.nextGroup(),
        "sidecar",
        "search",
        false,
        SNAPSHOT,
        v(150),
        "ads",
        null,
        "bike",
        Answer.hits(List.of()));
    h.read(
        h.nextGroup(),
        "sidecar",
        "search",
        false,
        SNAPSHOT,
        v(250),
        "ads",
        null,
        "car",
        Answer.hits(List.of(new Doc("2", v(110), ad(2, "blue car", null)))));
    Checker.Report report = Checker.check(h);
    assertThat(report.violations).hasSize(2);
    assertThat(report.violations.get(0).expected()).contains("missing [1]");
    assertThat(report.violations.get(1).expected()).contains("unexpected [2]");
  }

  @Test
  void anAtLeastReadOlderThanItsTokenIsAViolation() {
    History h = history();
    h.read(
        h.nextGroup(),
        "library",
        "cache",
        true,
        ConsistencyLevel.AT_LEAST,
        v(250),
        "ads",
        "1",
        null,
        found(1, v(110), ad(1, "red bike", 10)));
    assertThat(Checker.check(h).violations).hasSize(1);
  }

  @Test
  void aLatestReadOfAValueThatNeverExistedIsAViolation() {
    History h = history();
    h.read(
        h.nextGroup(),
        "library",
        "cache",
        true,
        ConsistencyLevel.LATEST,
        null,
        "ads",
        "1",
        null,
        found(1, v(110), ad(1, "red bike", 11)));
    assertThat(Checker.check(h).violations).hasSize(1);
  }

  @Test
  void aFrontierMovingBackIsAViolation() {
    History h = history();
    h.observed("sidecar", v(210));
    h.observed("sidecar", v(110));
    assertThat(Checker.check(h).violations)
        .singleElement()
        .satisfies(violation -> assertThat(violation.invariant()).isEqualTo("3"));
  }

  @Test
  void aReadYourWritesSnapshotBelowTheWriteIsAViolation() {
    History h = history();
    h.readYourWrites(3, v(320), Optional.of(v(310)));
    assertThat(Checker.check(h).violations)
        .singleElement()
        .satisfies(violation -> assertThat(violation.invariant()).isEqualTo("5"));
  }

  @Test
  void aWrongRefusalIsAViolation() {
    History h = history();
    h.refusal("sidecar", "tm1:listings@0/1", "snapshot_expired", "ok");
    get(h, h.nextGroup(), "readdb", v(150), 1, Answer.error("snapshot_not_ready"));
    Checker.Report report = Checker.check(h);
    assertThat(report.violations)
        .extracting(Checker.Violation::invariant)
        .containsExactlyInAnyOrder("6", "3/6");
  }

  @Test
  void aCorruptedRecordedHistoryIsCaught() {
    // A correct run, then one transaction's effect dropped from the history: the reads that saw
    // it no longer match, as they would not if a store had lost or invented that write.
    History clean = history();
    long g = clean.nextGroup();
    get(clean, g, "readdb", v(250), 1, found(1, v(210), ad(1, "red bike", 12)));
    get(clean, g, "cache", v(250), 2, Answer.absent());
    assertThat(Checker.check(clean).violations).isEmpty();

    History corrupted = new History();
    for (History.Tx tx : clean.txs()) {
      if (tx.seq() != 2) {
        corrupted.committed(tx.seq(), tx.lower(), tx.upper(), tx.writes());
      }
    }
    clean
        .reads()
        .forEach(
            r ->
                corrupted.read(
                    r.group(),
                    r.path(),
                    r.store(),
                    r.cache(),
                    r.level(),
                    r.at(),
                    r.collection(),
                    r.id(),
                    r.query(),
                    r.answer()));
    assertThat(Checker.check(corrupted).violations).hasSize(2);
  }

  private static void between(
      History h, long group, Version floor, Version at, long id, Answer answer) {
    h.read(
        group,
        "sidecar",
        "readdb",
        false,
        SNAPSHOT,
        at,
        "ads",
        Long.toString(id),
        null,
        answer,
        floor);
  }

  @Test
  void aTokenBetweenBoundariesMayReadAsAnyCutFromTheBoundaryBelowIt() {
    // Published frontier 150; token 250. The boundary below 250 is somewhere in [150, 250]: the
    // source at 150 (tx1 only) and at 250 (tx1 and tx2) are both right, as a whole.
    History h = history();
    long g = h.nextGroup();
    between(h, g, v(150), v(250), 1, found(1, v(110), ad(1, "red bike", 10)));
    between(h, g, v(150), v(250), 2, found(2, v(110), ad(2, "blue car", null)));
    long g2 = h.nextGroup();
    between(h, g2, v(150), v(250), 1, found(1, v(210), ad(1, "red bike", 12)));
    between(h, g2, v(150), v(250), 2, Answer.absent());
    Checker.Report report = Checker.check(h);
    assertThat(report.violations).isEmpty();
    assertThat(report.betweenBoundaries).containsEntry("sidecar/readdb/snapshot", 4L);
  }

  @Test
  void aTokenBetweenBoundariesMustStillReadOneCut() {
    // Row 1 after tx2 but row 2 before it: no cut in [150, 250] shows that.
    History h = history();
    long g = h.nextGroup();
    between(h, g, v(150), v(250), 1, found(1, v(210), ad(1, "red bike", 12)));
    between(h, g, v(150), v(250), 2, found(2, v(110), ad(2, "blue car", null)));
    assertThat(Checker.check(h).violations)
        .singleElement()
        .satisfies(v -> assertThat(v.what()).contains("between the boundary"));
  }

  @Test
  void aTokenBetweenBoundariesMustNotReadBelowTheFloorOrAboveTheToken() {
    History h = history();
    between(h, h.nextGroup(), v(250), v(290), 1, found(1, v(110), ad(1, "red bike", 10)));
    between(h, h.nextGroup(), v(150), v(250), 3, found(3, v(320), ad(3, "green car", 7)));
    assertThat(Checker.check(h).violations).hasSize(2);
  }
}
