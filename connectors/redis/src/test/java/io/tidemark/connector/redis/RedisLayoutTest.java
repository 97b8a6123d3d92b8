package io.tidemark.connector.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import io.tidemark.protocol.store.VersionRange;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisLayoutTest {

  private static final Map<String, Object> DOC = Map.of("title", "bike", "price", 120);

  @Test
  void dataKeyIsPrefixCollectionKeyInUtf8() {
    assertThat(new String(RedisLayout.dataKey("ads", "a b/é@:1"), StandardCharsets.UTF_8))
        .isEqualTo("tm:ads:a b/é@:1");
  }

  @Test
  void rejectsCollectionsThatWouldCollide() {
    assertThatThrownBy(() -> RedisLayout.requireCollection("a:b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a:b'")
        .hasMessageContaining("without ':'");
    assertThatThrownBy(() -> RedisLayout.requireCollection("watermark"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisLayout.requireCollection(""))
        .isInstanceOf(IllegalArgumentException.class);
    RedisLayout.requireCollection("ads");
  }

  @Test
  void scanPatternEscapesGlobCharacters() {
    assertThat(new String(RedisLayout.scanPattern("a*b?[c]\\"), StandardCharsets.UTF_8))
        .isEqualTo("tm:a\\*b\\?\\[c\\]\\\\:*");
  }

  @Test
  void memberCarriesExactVersionKindAndPayload() {
    Version v = Version.of(0x8000_0000_0000_0001L);
    byte[] member = RedisLayout.documentMember(v, Documents.encode(DOC));
    assertThat(RedisLayout.versionOf(member)).isEqualTo(v.asLong());
    assertThat(member[8]).isEqualTo(RedisLayout.DOCUMENT);
    assertThat(Documents.decode(member, 9, member.length - 9)).isEqualTo(DOC);
    byte[] deletion = RedisLayout.deletionMember(v);
    assertThat(deletion).hasSize(9);
    assertThat(deletion[8]).isEqualTo(RedisLayout.DELETION);
  }

  /** Redis orders same-score members by unsigned bytes (memcmp): that must be version order. */
  @Test
  void memberByteOrderIsUnsignedVersionOrderAcrossTheWholeRange() {
    long[] versions = {
      1L,
      0xFFL,
      0x100L,
      (1L << 53) - 1,
      1L << 53,
      (1L << 53) + 1,
      0x7FFF_FFFF_FFFF_FFFFL,
      0x8000_0000_0000_0000L,
      -2L
    };
    List<byte[]> members = new ArrayList<>();
    for (int i = versions.length - 1; i >= 0; i--) {
      // Payloads that sort opposite to the versions, so only the prefix can order them.
      byte[] payload = {(byte) (0xFF - i)};
      members.add(RedisLayout.documentMember(Version.of(versions[i]), payload));
    }
    members.sort(Arrays::compareUnsigned);
    for (int i = 0; i < versions.length; i++) {
      assertThat(RedisLayout.versionOf(members.get(i))).isEqualTo(versions[i]);
    }
  }

  /** The lex bounds select exactly members ≤ S and members > S, including near 2^53 and 2^64. */
  @Test
  void lexBoundsSplitMembersAtTheSnapshot() {
    long[] snapshots = {0L, 5L, (1L << 53), (1L << 53) + 1, -2L, -1L};
    long[] versions = {1L, 5L, 6L, (1L << 53), (1L << 53) + 1, (1L << 53) + 2, -2L};
    for (long s : snapshots) {
      byte[] below = RedisLayout.atOrBelow(s);
      byte[] above = RedisLayout.above(s);
      for (long v : versions) {
        byte[] member = RedisLayout.documentMember(Version.of(v), new byte[] {'{', '}'});
        boolean atOrBelow = Long.compareUnsigned(v, s) <= 0;
        assertThat(lexLess(member, below))
            .as("member %x under bound of S=%x", v, s)
            .isEqualTo(atOrBelow);
        assertThat(lexAtLeast(member, above))
            .as("member %x over bound of S=%x", v, s)
            .isEqualTo(!atOrBelow);
      }
    }
  }

  /** Redis' exclusive "(x" / "+" upper bound. */
  private static boolean lexLess(byte[] member, byte[] bound) {
    if (bound.length == 1 && bound[0] == '+') {
      return true;
    }
    assertThat(bound[0]).isEqualTo((byte) '(');
    return Arrays.compareUnsigned(member, Arrays.copyOfRange(bound, 1, bound.length)) < 0;
  }

  /** Redis' inclusive "[x" lower bound, or "+" (nothing is at or above it). */
  private static boolean lexAtLeast(byte[] member, byte[] bound) {
    if (bound.length == 1 && bound[0] == '+') {
      return false;
    }
    assertThat(bound[0]).isEqualTo((byte) '[');
    return Arrays.compareUnsigned(member, Arrays.copyOfRange(bound, 1, bound.length)) >= 0;
  }

  @Test
  void lookupFindsTheMemberCoveringTheSnapshotWithItsRange() {
    byte[] member = RedisLayout.documentMember(Version.of(10), Documents.encode(DOC));
    Lookup lookup = RedisLayout.lookup("k", member, RedisLayout.versionBytes(20), Version.of(15));
    assertThat(lookup.kind()).isEqualTo(Lookup.Kind.FOUND);
    assertThat(lookup.entry().orElseThrow().range())
        .isEqualTo(new VersionRange(Version.of(10), Version.of(20)));
    assertThat(lookup.entry().orElseThrow().key()).isEqualTo("k");
    assertThat(lookup.document()).contains(DOC);

    Lookup open = RedisLayout.lookup("k", member, null, Version.of(99));
    assertThat(open.entry().orElseThrow().range()).isEqualTo(VersionRange.openFrom(Version.of(10)));
  }

  @Test
  void lookupOfAMemberThatDoesNotCoverTheSnapshotIsAMiss() {
    byte[] member = RedisLayout.documentMember(Version.of(10), Documents.encode(DOC));
    // Not produced by the reader's bounds, but the visibility rule must still decide.
    assertThat(RedisLayout.lookup("k", member, RedisLayout.versionBytes(20), Version.of(20)))
        .isEqualTo(Lookup.miss());
    assertThat(RedisLayout.lookup("k", member, null, Version.of(9))).isEqualTo(Lookup.miss());
    assertThat(RedisLayout.lookup("k", null, null, Version.of(9))).isEqualTo(Lookup.miss());
  }

  @Test
  void theTwoNewestMembersDecideAReadAtOrAfterTheOlderOfThem() {
    byte[] v10 = RedisLayout.documentMember(Version.of(10), Documents.encode(DOC));
    byte[] v20 = RedisLayout.deletionMember(Version.of(20));

    Lookup atNewest = RedisLayout.lookupFromNewest("k", List.of(v10, v20), Version.of(25));
    assertThat(atNewest).isEqualTo(Lookup.absent());

    Lookup between = RedisLayout.lookupFromNewest("k", List.of(v10, v20), Version.of(15));
    assertThat(between.entry().orElseThrow().range())
        .isEqualTo(new VersionRange(Version.of(10), Version.of(20)));
    assertThat(between.document()).contains(DOC);

    Lookup onlyOne = RedisLayout.lookupFromNewest("k", List.of(v10), Version.of(10));
    assertThat(onlyOne.entry().orElseThrow().range())
        .isEqualTo(VersionRange.openFrom(Version.of(10)));
  }

  @Test
  void theTwoNewestMembersLeaveAnOlderReadUndecidedOrAMiss() {
    byte[] v10 = RedisLayout.documentMember(Version.of(10), Documents.encode(DOC));
    byte[] v20 = RedisLayout.documentMember(Version.of(20), Documents.encode(DOC));
    // Older versions may lie before both: the reader must look further back.
    assertThat(RedisLayout.lookupFromNewest("k", List.of(v10, v20), Version.of(9))).isNull();
    // A key's only version, newer than the snapshot: nothing at or below it.
    assertThat(RedisLayout.lookupFromNewest("k", List.of(v20), Version.of(9)))
        .isEqualTo(Lookup.miss());
    assertThat(RedisLayout.lookupFromNewest("k", List.of(), Version.of(9)))
        .isEqualTo(Lookup.miss());
    assertThat(RedisLayout.lookupFromNewest("k", List.of(new byte[] {1, 2}), Version.of(9)))
        .isEqualTo(Lookup.miss());
  }

  @Test
  void theTwoNewestMembersCompareVersionsUnsigned() {
    long high = 0x8000_0000_0000_0010L; // above 2^63: negative as a signed long
    byte[] low = RedisLayout.documentMember(Version.of(10), Documents.encode(DOC));
    byte[] top = RedisLayout.documentMember(Version.of(high), Documents.encode(DOC));
    Lookup read = RedisLayout.lookupFromNewest("k", List.of(low, top), Version.of(11));
    assertThat(read.entry().orElseThrow().range())
        .isEqualTo(new VersionRange(Version.of(10), Version.of(high)));
  }

  @Test
  void deletionMarkerCoveringTheSnapshotAnswersAbsent() {
    byte[] deletion = RedisLayout.deletionMember(Version.of(10));
    assertThat(RedisLayout.lookup("k", deletion, null, Version.of(10))).isEqualTo(Lookup.absent());
    assertThat(RedisLayout.latest("k", deletion)).isEqualTo(Lookup.absent());
    assertThat(RedisLayout.latest("k", null)).isEqualTo(Lookup.miss());
  }

  @Test
  void scriptShaIsTheHexSha1RedisComputes() {
    // SHA-1 of "return 1", as SCRIPT LOAD answers it.
    assertThat(new String(RedisScripts.sha1("return 1"), StandardCharsets.US_ASCII))
        .isEqualTo("e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  }

  @Test
  void writeMarkIsAtOrAboveItsVersionAndReadsBackAsOne() {
    long[] versions = {
      0,
      1,
      0x16B3748L,
      (1L << 53) - 1,
      1L << 53,
      (1L << 53) + 1,
      (1L << 53) + 3,
      Long.MAX_VALUE,
      -2L
    };
    for (long v : versions) {
      double mark = RedisLayout.markAtOrAbove(v);
      long back = RedisLayout.markVersion(mark);
      assertThat(Long.compareUnsigned(back, v))
          .as("mark of %s reads back as %s", v, back)
          .isGreaterThanOrEqualTo(0);
      // Below 2^53 a double holds the version exactly.
      if (v >= 0 && v <= (1L << 53)) {
        assertThat(back).isEqualTo(v);
      }
    }
    // Two versions that share a double: the mark covers the larger one.
    long high = (1L << 53) + 1;
    assertThat(Long.compareUnsigned(RedisLayout.markVersion(RedisLayout.markAtOrAbove(high)), high))
        .isGreaterThanOrEqualTo(0);
    // Near the top of the range the mark is 2^64, which reads back as the largest version.
    assertThat(RedisLayout.markVersion(RedisLayout.markAtOrAbove(-2L))).isEqualTo(-1L);
    assertThat(RedisLayout.markVersion(-1.0)).isZero();
  }
}
