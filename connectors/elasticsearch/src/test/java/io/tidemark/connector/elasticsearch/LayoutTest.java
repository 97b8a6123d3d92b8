package io.tidemark.connector.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.VersionRange;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LayoutTest {

  /** Versions around every boundary of the unsigned 64-bit range. */
  private static final List<Version> EDGES =
      List.of(
          Version.ZERO,
          Version.of(1),
          Version.of(0xFFFF_FFFFL),
          Version.of(0x1_0000_0000L),
          Version.of(Long.MAX_VALUE - 1),
          Version.of(Long.MAX_VALUE),
          Version.of(Long.MIN_VALUE),
          Version.of(Long.MIN_VALUE + 1),
          Version.of(-2L),
          Version.OPEN);

  @Test
  void encodingKeepsUnsignedOrderAsSignedOrder() {
    for (Version a : EDGES) {
      for (Version b : EDGES) {
        assertThat(Integer.signum(Long.compare(Layout.encode(a), Layout.encode(b))))
            .as("order of %s and %s", a, b)
            .isEqualTo(Integer.signum(a.compareTo(b)));
      }
    }
    assertThat(Layout.encode(Version.ZERO)).isEqualTo(Long.MIN_VALUE);
    assertThat(Layout.OPEN).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void decodingUndoesEncoding() {
    for (Version v : EDGES) {
      assertThat(Layout.decode(Layout.encode(v))).isEqualTo(v);
    }
  }

  /**
   * The search filter compares the stored longs ({@code _tm_from <= S AND _tm_to > S}); on the
   * encoding it must agree with the protocol's rule for every triple, edges included.
   */
  @Test
  void storedComparisonAgreesWithTheVisibilityRule() {
    List<Version> versions = new ArrayList<>(EDGES);
    Random random = new Random(42);
    for (int i = 0; i < 30; i++) {
      versions.add(Version.of(random.nextLong()));
    }
    int visible = 0;
    for (Version from : versions) {
      for (Version to : versions) {
        if (!from.isBefore(to)) {
          continue;
        }
        VersionRange range = new VersionRange(from, to);
        for (Version at : versions) {
          boolean stored =
              Layout.encode(from) <= Layout.encode(at) && Layout.encode(to) > Layout.encode(at);
          assertThat(stored).as("%s at %s", range, at).isEqualTo(range.visibleAt(at));
          visible += stored ? 1 : 0;
        }
      }
    }
    assertThat(visible).as("triples where the entry is visible").isPositive();
  }

  @Test
  void indexNamesAreLowerCasedAndSanitized() {
    assertThat(Layout.indexName("tm-", "Ads")).isEqualTo("tm-ads");
    assertThat(Layout.indexName("tm-", "public.ads")).isEqualTo("tm-public.ads");
    assertThat(Layout.indexName("tm-", "a/b c*d?e\"f<g>h|i,j#k:l\\m"))
        .isEqualTo("tm-a_b_c_d_e_f_g_h_i_j_k_l_m");
    assertThat(Layout.indexName("", "ads")).isEqualTo("ads");
  }

  @Test
  void indexNamesThatCannotBeAreRefused() {
    assertThatThrownBy(() -> Layout.indexName("", "_ads"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'_ads'")
        .hasMessageContaining("may not start with - _ +");
    assertThatThrownBy(() -> Layout.indexName("", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is empty");
    assertThatThrownBy(() -> Layout.indexName("tm-", "x".repeat(300)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer than 255 bytes");
  }

  @Test
  void shortKeysAreTheirOwnIdKey() {
    assertThat(Layout.idKey("ключ-🔑 a/b@c")).isEqualTo("ключ-🔑 a/b@c");
    assertThat(Layout.documentId("k1", Version.parse("0/16B3748"))).isEqualTo("k1@0/16B3748");
    String longest = "x".repeat(Layout.MAX_ID_BYTES - "@FFFFFFFF/FFFFFFFF".length());
    assertThat(Layout.idKey(longest)).isEqualTo(longest);
  }

  @Test
  void longKeysAreHashedSoIdsStayWithinTheLimit() {
    String tooLong = "x".repeat(Layout.MAX_ID_BYTES - "@FFFFFFFF/FFFFFFFF".length() + 1);
    String idKey = Layout.idKey(tooLong);
    assertThat(idKey).startsWith(Layout.HASHED_KEY_PREFIX).isNotEqualTo(tooLong);
    assertThat(Layout.idKey(tooLong)).as("deterministic").isEqualTo(idKey);
    assertThat(Layout.idKey(tooLong + "y")).as("distinct keys, distinct ids").isNotEqualTo(idKey);
    String id = Layout.documentId(idKey, Version.OPEN);
    assertThat(id.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Layout.MAX_ID_BYTES);

    String multiByte = "🔑".repeat(200); // 800 bytes in UTF-8, 400 chars
    assertThat(Layout.idKey(multiByte)).startsWith(Layout.HASHED_KEY_PREFIX);
  }
}
