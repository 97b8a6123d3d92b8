package io.tidemark.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.protocol.ReadAdmission.Verdict;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ReadAdmissionTest {

  private static final Stamp FRONTIER = SnapshotToken.parse("tm1:listings@0/500,users@0/90");
  private static final Stamp HORIZON = SnapshotToken.parse("tm1:listings@0/100,users@0/10");

  private static ReadAdmission check(String token) {
    return ReadAdmission.check(SnapshotToken.parse(token), FRONTIER, HORIZON);
  }

  @Test
  void readableBetweenHorizonAndFrontierInclusive() {
    assertThat(check("tm1:listings@0/100,users@0/90").verdict()).isEqualTo(Verdict.READABLE);
    assertThat(check("tm1:listings@0/500,users@0/10").isReadable()).isTrue();
    assertThat(check("tm1:listings@0/300").isReadable()).isTrue();
    ReadAdmission readable = check("tm1:users@0/50");
    assertThat(readable.source()).isEmpty();
    assertThat(readable.requested()).isEmpty();
    assertThat(readable.limit()).isEmpty();
    assertThat(ReadAdmission.check(Stamp.empty(), FRONTIER, HORIZON).isReadable()).isTrue();
  }

  @Test
  void belowTheHorizonHasExpiredNamingSourceAndBound() {
    ReadAdmission expired = check("tm1:listings@0/FF,users@0/20");
    assertThat(expired.verdict()).isEqualTo(Verdict.EXPIRED);
    assertThat(expired.source()).contains("listings");
    assertThat(expired.requested()).contains(Version.of(0xFF));
    assertThat(expired.limit()).contains(Version.of(0x100));
    assertThat(expired.message())
        .contains("snapshot expired")
        .contains("listings@0/FF")
        .contains("horizon 0/100");
  }

  @Test
  void aboveTheFrontierIsNotReadyNamingSourceAndBound() {
    ReadAdmission notReady = check("tm1:listings@0/200,users@0/91");
    assertThat(notReady.verdict()).isEqualTo(Verdict.NOT_READY);
    assertThat(notReady.source()).contains("users");
    assertThat(notReady.limit()).contains(Version.of(0x90));
    assertThat(notReady.message())
        .contains("not ready")
        .contains("users@0/91")
        .contains("frontier 0/90");
  }

  @Test
  void aSourceTheFrontierDoesNotNameIsUnknown() {
    ReadAdmission unknown = check("tm1:listings@0/200,orders@0/1");
    assertThat(unknown.verdict()).isEqualTo(Verdict.UNKNOWN_SOURCE);
    assertThat(unknown.source()).contains("orders");
    assertThat(unknown.limit()).isEmpty();
    assertThat(unknown.message()).contains("'orders'").contains("[listings, users]");
  }

  @Test
  void expiredComesBeforeUnknownWhichComesBeforeNotReady() {
    assertThat(check("tm1:listings@0/1,orders@0/1,users@FF/0").verdict())
        .isEqualTo(Verdict.EXPIRED);
    assertThat(check("tm1:listings@0/200,orders@0/1,users@FF/0").verdict())
        .isEqualTo(Verdict.UNKNOWN_SOURCE);
  }

  @Test
  void aSourceWithoutHorizonNeverExpires() {
    Stamp frontier = SnapshotToken.parse("tm1:fresh@0/5");
    assertThat(
            ReadAdmission.check(SnapshotToken.parse("tm1:fresh@0/0"), frontier, Stamp.empty())
                .isReadable())
        .isTrue();
  }

  /** The verdict follows the definition, whatever the stamps. */
  @Property(tries = 2000)
  void agreesWithTheDefinition(
      @ForAll("stamps") Stamp requested,
      @ForAll("stamps") Stamp frontier,
      @ForAll("stamps") Stamp horizon) {
    ReadAdmission admission = ReadAdmission.check(requested, frontier, horizon);
    boolean expired = false;
    boolean unknown = false;
    boolean notReady = false;
    for (var entry : requested.asMap().entrySet()) {
      var oldest = horizon.get(entry.getKey());
      var newest = frontier.get(entry.getKey());
      expired |= oldest.isPresent() && entry.getValue().isBefore(oldest.get());
      unknown |= newest.isEmpty();
      notReady |= newest.isPresent() && entry.getValue().isAfter(newest.get());
    }
    Verdict expected =
        expired
            ? Verdict.EXPIRED
            : unknown ? Verdict.UNKNOWN_SOURCE : notReady ? Verdict.NOT_READY : Verdict.READABLE;
    assertThat(admission.verdict()).isEqualTo(expected);
    assertThat(admission.isReadable()).isEqualTo(frontier.covers(requested) && !expired);
    if (!admission.isReadable()) {
      assertThat(admission.source()).isPresent();
      assertThat(requested.get(admission.source().get())).isEqualTo(admission.requested());
    }
  }

  @Provide
  Arbitrary<Stamp> stamps() {
    return StampArbitraries.stamps(StampArbitraries.smallVersions(), 3);
  }
}
