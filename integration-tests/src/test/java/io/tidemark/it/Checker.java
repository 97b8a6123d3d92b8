package io.tidemark.it;

import io.tidemark.it.History.Answer;
import io.tidemark.it.History.Doc;
import io.tidemark.it.History.Key;
import io.tidemark.it.History.Read;
import io.tidemark.it.History.Tx;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Version;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Replays a {@link History} and checks invariants 1, 2, 3, 5 and 6 of the design (§3) for every
 * recorded read.
 *
 * <p><b>Exactness.</b> A transaction's commit LSN is only known to lie in its bracket [lower,
 * upper]. At a stamp S, a transaction with upper ≤ S is in the cut, one with lower > S is not, and
 * one whose bracket straddles S is <em>ambiguous</em>. A read that depends on no ambiguous
 * transaction is checked exactly. For the others, the checker looks for one assignment of the
 * ambiguous transactions (in or out) that explains every read of the same snapshot at once, so a
 * store showing half of an ambiguous transaction, or two stores disagreeing about it, is still a
 * violation (invariant 2). Assignments respect commit order: transactions writing the same row are
 * ordered by their lower bound (the second one waited for the first one's row lock, so its lower
 * bound is past the first one's commit), and a later one cannot be in the cut without the earlier
 * one. With more than {@value #MAX_ENUMERATED} ambiguous transactions in one snapshot the reads are
 * checked one by one (each row at any admissible cut), and counted as such.
 *
 * <p><b>Levels.</b> {@code SNAPSHOT} reads must equal the source at S. {@code AT_LEAST} reads must
 * show a value the row had at some cut at or after S (no older one). {@code LATEST} reads must show
 * a value the row really had at some point (nothing invented). A cache may answer "miss" at any
 * level; an authoritative store never.
 *
 * <p>Documents are compared column by column; numbers by value; a missing column equals null.
 */
final class Checker {

  static final int MAX_ENUMERATED = 12;

  /** One broken invariant, with the read, what was expected and the history around it. */
  record Violation(
      String invariant, String what, String expected, String actual, List<String> around) {
    @Override
    public String toString() {
      return "invariant "
          + invariant
          + ": "
          + what
          + "\n    expected: "
          + expected
          + "\n    actual:   "
          + actual
          + (around.isEmpty() ? "" : "\n    history:\n      " + String.join("\n      ", around));
    }
  }

  /** What the replay found. Counts are keyed by {@code path/store/level}. */
  static final class Report {
    final List<Violation> violations = new ArrayList<>();
    final Map<String, Long> exact = new TreeMap<>();
    final Map<String, Long> ambiguous = new TreeMap<>();
    final Map<String, Long> betweenBoundaries = new TreeMap<>();
    final Map<String, Long> misses = new TreeMap<>();
    final Map<String, Long> errors = new TreeMap<>();
    long groups;
    long groupsWithAmbiguity;
    long groupsTooAmbiguous;
    long frontierObservations;
    long readYourWritesMet;
    long readYourWritesTimedOut;
    long refusalsChecked;

    long checked() {
      return exact.values().stream().mapToLong(Long::longValue).sum()
          + ambiguous.values().stream().mapToLong(Long::longValue).sum()
          + betweenBoundaries.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Reads checked per {@code path/store/level}: exact + ambiguous. */
    Map<String, Long> checkedBy() {
      Map<String, Long> all = new TreeMap<>(exact);
      ambiguous.forEach((k, v) -> all.merge(k, v, Long::sum));
      betweenBoundaries.forEach((k, v) -> all.merge(k, v, Long::sum));
      return all;
    }

    @Override
    public String toString() {
      return checked()
          + " reads checked ("
          + ambiguous.values().stream().mapToLong(Long::longValue).sum()
          + " with an ambiguous transaction), "
          + groups
          + " snapshots, "
          + violations.size()
          + " violations";
    }
  }

  private final Map<Key, List<Tx>> chains = new HashMap<>();
  private final Map<String, Set<Key>> keysByCollection = new HashMap<>();
  private final Report report = new Report();

  private Checker(History history) {
    for (Tx tx : history.txs()) {
      for (Key key : tx.writes().keySet()) {
        chains.computeIfAbsent(key, k -> new ArrayList<>()).add(tx);
        keysByCollection.computeIfAbsent(key.collection(), c -> new LinkedHashSet<>()).add(key);
      }
    }
    Comparator<Tx> commitOrder =
        Comparator.comparing(Tx::lower).thenComparing(Tx::upper).thenComparingLong(Tx::seq);
    chains.values().forEach(chain -> chain.sort(commitOrder));
  }

  /** Replays the history and returns what it found. */
  static Report check(History history) {
    Checker checker = new Checker(history);
    checker.checkReads(history.reads());
    checker.checkFrontiers(history.observed());
    checker.checkReadYourWrites(history.readYourWrites());
    checker.checkRefusals(history.refusals());
    return checker.report;
  }

  // ---- reads ------------------------------------------------------------------------------

  private void checkReads(List<Read> reads) {
    Map<Long, List<Read>> snapshotGroups = new LinkedHashMap<>();
    for (Read read : reads) {
      String label =
          read.path() + "/" + read.store() + "/" + read.level().name().toLowerCase(Locale.ROOT);
      Answer answer = read.answer();
      if (answer.kind() == Answer.Kind.ERROR) {
        report.errors.merge(label + "/" + answer.error(), 1L, Long::sum);
        if (answer.error().equals("snapshot_not_ready")
            || answer.error().equals("snapshot_expired")
            || answer.error().equals("bad_token")) {
          // Reads are made with tokens the coordinator published; refusing one breaks 3 or 6.
          violation(
              "3/6",
              "a published snapshot was refused: " + read,
              "an answer",
              answer.toString(),
              List.of());
        }
        continue;
      }
      if (answer.kind() == Answer.Kind.MISS) {
        report.misses.merge(label, 1L, Long::sum);
        if (!read.cache()) {
          violation(
              "1",
              "an authoritative store answered 'miss': " + read,
              "found or absent",
              "miss",
              List.of());
        }
        continue;
      }
      if (read.level() == ConsistencyLevel.SNAPSHOT) {
        snapshotGroups.computeIfAbsent(read.group(), g -> new ArrayList<>()).add(read);
      } else {
        checkUnversioned(read, label);
      }
    }
    snapshotGroups.values().forEach(this::checkSnapshotGroup);
  }

  /**
   * Invariants 1 and 2 for the reads made at one snapshot. A snapshot at a published frontier is an
   * epoch boundary and must equal the source at exactly its stamp. A snapshot at a token between
   * two boundaries (a read with a {@code floor}: a frontier published before, at or below the
   * token) reads as the boundary below the token, which the checker does not know: it must equal
   * the source at some cut C with floor ≤ C ≤ token.
   */
  private void checkSnapshotGroup(List<Read> group) {
    report.groups++;
    Map<List<Version>, List<Read>> byStamp =
        group.stream()
            .collect(
                Collectors.groupingBy(
                    r -> java.util.Arrays.asList(r.at(), r.floor()),
                    LinkedHashMap::new,
                    Collectors.toList()));
    for (List<Read> reads : byStamp.values()) {
      Version s = reads.get(0).at();
      Version floor = reads.get(0).floor();
      if (floor == null) {
        countAt(reads, s);
        report.violations.addAll(explain(reads, s, s));
        continue;
      }
      reads.forEach(read -> count(report.betweenBoundaries, read));
      List<Version> cuts = new ArrayList<>(List.of(floor));
      for (Read read : reads) {
        for (Key key : relevantKeys(read)) {
          for (Tx tx : chains.getOrDefault(key, List.of())) {
            for (Version end : List.of(tx.lower(), tx.upper())) {
              if (end.isAfter(floor) && !end.isAfter(s)) {
                cuts.add(end);
              }
            }
          }
        }
      }
      List<Violation> closest = null;
      for (Version c : new java.util.TreeSet<>(cuts)) {
        List<Violation> found = explain(reads, c, s);
        if (found.isEmpty()) {
          closest = null;
          break;
        }
        if (closest == null || found.size() < closest.size()) {
          closest = found;
        }
      }
      if (closest != null) {
        Violation v = closest.get(0);
        violation(
            "1/2",
            "no cut between the boundary "
                + floor
                + " and the token "
                + s
                + " explains the reads of one snapshot; closest: "
                + v.what(),
            v.expected(),
            v.actual(),
            v.around());
      }
    }
  }

  /** Counts the reads at S as checked exactly or with an ambiguous transaction. */
  private void countAt(List<Read> reads, Version s) {
    boolean any = false;
    for (Read read : reads) {
      boolean depends =
          relevantKeys(read).stream()
              .flatMap(k -> chains.getOrDefault(k, List.of()).stream())
              .anyMatch(tx -> !tx.definitelyAtOrBelow(s) && !tx.definitelyAbove(s));
      count(depends ? report.ambiguous : report.exact, read);
      any |= depends;
    }
    if (any) {
      report.groupsWithAmbiguity++;
    }
  }

  /**
   * What no cut at {@code c} explains about these reads: empty when one cut does. Versions the
   * stores report must lie at or below {@code bound} (the snapshot's stamp).
   */
  private List<Violation> explain(List<Read> reads, Version c, Version bound) {
    // The ambiguous transactions some read of this snapshot depends on.
    List<Tx> ambiguous = new ArrayList<>();
    Set<Long> seen = new java.util.HashSet<>();
    for (Read read : reads) {
      for (Key key : relevantKeys(read)) {
        for (Tx tx : chains.getOrDefault(key, List.of())) {
          if (!tx.definitelyAtOrBelow(c) && !tx.definitelyAbove(c) && seen.add(tx.seq())) {
            ambiguous.add(tx);
          }
        }
      }
    }
    List<Violation> found = new ArrayList<>();
    if (ambiguous.isEmpty()) {
      Predicate<Tx> cut = tx -> tx.definitelyAtOrBelow(c);
      for (Read read : reads) {
        String problem = mismatch(read, cut, bound);
        if (problem != null) {
          found.add(
              new Violation(
                  "1", read.toString(), problem, read.answer().toString(), around(read, c)));
        }
      }
      return found;
    }
    if (ambiguous.size() > MAX_ENUMERATED) {
      if (c.equals(bound)) {
        report.groupsTooAmbiguous++;
      }
      return oneByOne(reads, c, bound);
    }
    return enumerate(reads, c, bound, ambiguous);
  }

  private List<Violation> enumerate(
      List<Read> reads, Version c, Version bound, List<Tx> ambiguous) {
    int n = ambiguous.size();
    Map<Long, Integer> index = new HashMap<>();
    for (int i = 0; i < n; i++) {
      index.put(ambiguous.get(i).seq(), i);
    }
    int bestMask = -1;
    List<String> bestProblems = null;
    for (int mask = 0; mask < (1 << n); mask++) {
      if (!respectsCommitOrder(mask, ambiguous, index)) {
        continue;
      }
      final int m = mask;
      Predicate<Tx> cut =
          tx -> {
            if (tx.definitelyAtOrBelow(c)) {
              return true;
            }
            Integer i = index.get(tx.seq());
            return i != null && (m & (1 << i)) != 0;
          };
      List<String> problems = new ArrayList<>();
      for (Read read : reads) {
        String problem = mismatch(read, cut, bound);
        if (problem != null) {
          problems.add(read + "\n      expected " + problem);
        }
      }
      if (problems.isEmpty()) {
        return List.of(); // one cut explains every read of this snapshot
      }
      if (bestProblems == null || problems.size() < bestProblems.size()) {
        bestProblems = problems;
        bestMask = mask;
      }
    }
    List<String> around = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      around.add(((bestMask & (1 << i)) != 0 ? "in  " : "out ") + ambiguous.get(i));
    }
    return List.of(
        new Violation(
            "1/2",
            "no single cut at "
                + c
                + " explains the "
                + reads.size()
                + " reads of one snapshot ("
                + n
                + " ambiguous transactions); closest cut leaves "
                + bestProblems.size()
                + " wrong",
            "one consistent cut",
            String.join("\n    ", bestProblems),
            around));
  }

  /** A later transaction on a row is in the cut only if every earlier one on it is. */
  private boolean respectsCommitOrder(int mask, List<Tx> ambiguous, Map<Long, Integer> index) {
    for (int i = 0; i < ambiguous.size(); i++) {
      if ((mask & (1 << i)) == 0) {
        continue;
      }
      Tx later = ambiguous.get(i);
      for (Key key : later.writes().keySet()) {
        for (Tx earlier : chains.get(key)) {
          if (earlier == later) {
            break;
          }
          Integer j = index.get(earlier.seq());
          if (j != null && (mask & (1 << j)) == 0) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /** Too many ambiguous transactions to enumerate: each read on its own, at any admissible cut. */
  private List<Violation> oneByOne(List<Read> reads, Version c, Version bound) {
    List<Violation> found = new ArrayList<>();
    for (Read read : reads) {
      if (read.isSearch()) {
        continue; // a search depends on every row; counted as ambiguous, not checked
      }
      List<Tx> chain = chains.getOrDefault(read.key(), List.of());
      int first = (int) chain.stream().filter(tx -> tx.definitelyAtOrBelow(c)).count();
      int last = (int) chain.stream().filter(tx -> !tx.definitelyAbove(c)).count();
      if (!matchesSomePrefix(read, chain, first, last, bound)) {
        found.add(
            new Violation(
                "1",
                read.toString(),
                "a value of " + read.key() + " from cut " + first + ".." + last,
                read.answer().toString(),
                around(read, c)));
      }
    }
    return found;
  }

  /** Invariant 1 (and the causal promise of AT_LEAST) for a read that is not at a snapshot. */
  private void checkUnversioned(Read read, String label) {
    count(report.exact, read);
    if (read.isSearch()) {
      for (Doc hit : read.answer().hits()) {
        Key key = new Key(read.collection(), hit.id());
        Read asGet =
            new Read(
                read.seq(),
                read.group(),
                read.path(),
                read.store(),
                read.cache(),
                read.level(),
                read.at(),
                read.collection(),
                hit.id(),
                null,
                Answer.found(hit),
                null);
        List<Tx> chain = chains.getOrDefault(key, List.of());
        int first = firstAdmissible(read, chain);
        boolean ok =
            matchesSomePrefix(asGet, chain, first, chain.size(), read.at())
                && titleMatches(hit.doc(), read.query());
        if (!ok) {
          violation(
              "1",
              read + ": hit " + hit,
              "a value "
                  + key
                  + " had at or after "
                  + read.at()
                  + " matching '"
                  + read.query()
                  + "'",
              hit.toString(),
              around(asGet, read.at()));
        }
      }
      return;
    }
    List<Tx> chain = chains.getOrDefault(read.key(), List.of());
    int first = firstAdmissible(read, chain);
    if (!matchesSomePrefix(read, chain, first, chain.size(), read.at())) {
      violation(
          "1",
          read.toString(),
          (read.level() == ConsistencyLevel.AT_LEAST
              ? "a value at or after " + read.at()
              : "a value the row had at some time"),
          read.answer().toString(),
          around(read, read.at()));
    }
  }

  private static int firstAdmissible(Read read, List<Tx> chain) {
    if (read.level() != ConsistencyLevel.AT_LEAST || read.at() == null) {
      return 0;
    }
    return (int) chain.stream().filter(tx -> tx.definitelyAtOrBelow(read.at())).count();
  }

  /**
   * Whether the read shows the row after the first p transactions of its chain, for some p in
   * [from, to].
   */
  private boolean matchesSomePrefix(Read read, List<Tx> chain, int from, int to, Version s) {
    for (int p = from; p <= to; p++) {
      Optional<Map<String, Object>> state =
          p == 0 ? Optional.empty() : chain.get(p - 1).writes().get(read.key());
      if (answerMatches(read, state, p == 0 ? null : chain.get(p - 1), s, false) == null) {
        return true;
      }
    }
    return false;
  }

  /** Null when the read is right under {@code cut}; else what was expected. */
  private String mismatch(Read read, Predicate<Tx> cut, Version s) {
    if (read.isSearch()) {
      Map<String, Map<String, Object>> expected = new TreeMap<>();
      for (Key key : keysByCollection.getOrDefault(read.collection(), Set.of())) {
        Tx writer = writerAt(key, cut);
        if (writer != null) {
          writer
              .writes()
              .get(key)
              .filter(doc -> titleMatches(doc, read.query()))
              .ifPresent(doc -> expected.put(key.id(), doc));
        }
      }
      Map<String, Map<String, Object>> actual = new TreeMap<>();
      for (Doc hit : read.answer().hits()) {
        if (actual.put(hit.id(), hit.doc()) != null) {
          return "each row once; got " + hit.id() + " twice";
        }
        if (hit.version().isAfter(s)) {
          return "versions at or below " + s + "; hit " + hit.id() + " has " + hit.version();
        }
      }
      if (!expected.keySet().equals(actual.keySet())) {
        Set<String> missing = new java.util.TreeSet<>(expected.keySet());
        missing.removeAll(actual.keySet());
        Set<String> extra = new java.util.TreeSet<>(actual.keySet());
        extra.removeAll(expected.keySet());
        return expected.size() + " hits; missing " + missing + ", unexpected " + extra;
      }
      for (var e : expected.entrySet()) {
        if (!sameDoc(e.getValue(), actual.get(e.getKey()))) {
          return "hit " + e.getKey() + " = " + e.getValue() + " but got " + actual.get(e.getKey());
        }
      }
      return null;
    }
    Tx writer = writerAt(read.key(), cut);
    Optional<Map<String, Object>> state =
        writer == null ? Optional.empty() : writer.writes().get(read.key());
    return answerMatches(read, state, writer, s, true);
  }

  /** The last transaction in the cut that wrote the row, or null. */
  private Tx writerAt(Key key, Predicate<Tx> cut) {
    Tx last = null;
    for (Tx tx : chains.getOrDefault(key, List.of())) {
      if (cut.test(tx)) {
        last = tx;
      }
    }
    return last;
  }

  private static String answerMatches(
      Read read, Optional<Map<String, Object>> state, Tx writer, Version s, boolean checkVersion) {
    Answer answer = read.answer();
    switch (answer.kind()) {
      case ABSENT:
        return state.isEmpty() ? null : "found " + state.get() + " (by tx#" + writer.seq() + ")";
      case FOUND:
        if (state.isEmpty()) {
          return "absent" + (writer == null ? "" : " (deleted by tx#" + writer.seq() + ")");
        }
        if (!sameDoc(state.get(), answer.doc().doc())) {
          return state.get() + " (by tx#" + writer.seq() + ")";
        }
        if (checkVersion && read.level() == ConsistencyLevel.SNAPSHOT) {
          Version v = answer.doc().version();
          if (v.isAfter(s) || v.isBefore(writer.lower())) {
            return "version in [" + writer.lower() + ", " + s + "] (tx#" + writer.seq() + ")";
          }
        }
        return null;
      default:
        return "a key answer";
    }
  }

  private List<Key> relevantKeys(Read read) {
    return read.isSearch()
        ? List.copyOf(keysByCollection.getOrDefault(read.collection(), Set.of()))
        : List.of(read.key());
  }

  private static void count(Map<String, Long> counts, Read read) {
    counts.merge(
        read.path() + "/" + read.store() + "/" + read.level().name().toLowerCase(Locale.ROOT),
        1L,
        Long::sum);
  }

  /** The transactions on the read's row near S (or, for a search, nothing: too many rows). */
  private List<String> around(Read read, Version s) {
    if (read.isSearch()) {
      return List.of();
    }
    List<Tx> chain = chains.getOrDefault(read.key(), List.of());
    int cut =
        s == null
            ? chain.size()
            : (int) chain.stream().filter(tx -> !tx.definitelyAbove(s)).count();
    List<String> lines = new ArrayList<>();
    for (int i = Math.max(0, cut - 3); i < Math.min(chain.size(), cut + 3); i++) {
      Tx tx = chain.get(i);
      lines.add(
          (i < cut ? "<= S " : ">  S ")
              + "tx#"
              + tx.seq()
              + " ["
              + tx.lower()
              + ".."
              + tx.upper()
              + "] "
              + read.key()
              + " -> "
              + tx.writes().get(read.key()).map(Object::toString).orElse("deleted"));
    }
    return lines;
  }

  // ---- documents --------------------------------------------------------------------------

  static boolean titleMatches(Map<String, Object> doc, String word) {
    Object title = doc.get("title");
    if (!(title instanceof String)) {
      return false;
    }
    for (String token : ((String) title).toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (token.equals(word.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  static boolean sameDoc(Map<String, Object> expected, Map<String, Object> actual) {
    if (actual == null) {
      return false;
    }
    Set<String> columns = new LinkedHashSet<>(expected.keySet());
    columns.addAll(actual.keySet());
    for (String column : columns) {
      if (!sameValue(expected.get(column), actual.get(column))) {
        return false;
      }
    }
    return true;
  }

  static boolean sameValue(Object a, Object b) {
    if (a instanceof Number && b instanceof Number) {
      return new BigDecimal(a.toString()).compareTo(new BigDecimal(b.toString())) == 0;
    }
    if (a instanceof Map && b instanceof Map) {
      @SuppressWarnings("unchecked")
      Map<String, Object> x = (Map<String, Object>) a;
      @SuppressWarnings("unchecked")
      Map<String, Object> y = (Map<String, Object>) b;
      return sameDoc(x, y);
    }
    if (a instanceof List && b instanceof List) {
      List<?> x = (List<?>) a;
      List<?> y = (List<?>) b;
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!sameValue(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    return Objects.equals(a, b);
  }

  // ---- frontiers, read-your-writes, refusals ------------------------------------------------

  private void checkFrontiers(List<History.Observed> observed) {
    Map<String, History.Observed> last = new HashMap<>();
    for (History.Observed o : observed) {
      report.frontierObservations++;
      History.Observed before = last.put(o.observer(), o);
      if (before != null && o.frontier().isBefore(before.frontier())) {
        violation(
            "3",
            "observer " + o.observer() + " saw the frontier move back",
            "at or after " + before.frontier(),
            o.frontier().toString(),
            List.of());
      }
    }
  }

  private void checkReadYourWrites(List<History.ReadYourWrites> ryw) {
    for (History.ReadYourWrites r : ryw) {
      if (r.got().isEmpty()) {
        report.readYourWritesTimedOut++;
      } else if (r.got().get().isBefore(r.wanted())) {
        violation(
            "5",
            "tx#" + r.txSeq() + " asked for a snapshot at least " + r.wanted(),
            "a snapshot at or after " + r.wanted(),
            r.got().get().toString(),
            List.of());
      } else {
        report.readYourWritesMet++;
      }
    }
  }

  private void checkRefusals(List<History.Refusal> refusals) {
    for (History.Refusal r : refusals) {
      report.refusalsChecked++;
      if (!r.expected().equals(r.actual())) {
        violation(
            "6", r.path() + " with token '" + r.token() + "'", r.expected(), r.actual(), List.of());
      }
    }
  }

  private void violation(
      String invariant, String what, String expected, String actual, List<String> around) {
    report.violations.add(new Violation(invariant, what, expected, actual, around));
  }
}
