package io.tidemark.connector.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import io.tidemark.connector.elasticsearch.EpochMapper.DocOp;
import io.tidemark.connector.elasticsearch.EpochMapper.Kind;
import io.tidemark.connector.elasticsearch.EpochMapper.PreparedWrite;
import io.tidemark.connector.elasticsearch.EpochMapper.Prior;
import io.tidemark.connector.elasticsearch.EpochMapper.StoredVersion;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EpochMapperTest {

  private static final Version V = Version.parse("1/200");
  private static final Version PREVIOUS = Version.parse("1/100");
  private static final Version OLDER = Version.parse("0/FFFFFF00");
  private static final Version LATER = Version.parse("1/300");

  @Test
  void anUpsertOfANewKeyCreatesItsVersionOpen() throws IOException {
    List<DocOp> ops = map(epoch(Write.upsert("Ads", "k1", doc("title", "red car"))), Prior.NONE);

    assertThat(ops).hasSize(1);
    DocOp op = ops.get(0);
    assertThat(op.kind()).isEqualTo(Kind.CREATE_VERSION);
    assertThat(op.index()).isEqualTo("tm-ads");
    assertThat(op.id()).isEqualTo("k1@1/200");
    assertThat(op.routing()).isEqualTo("k1");
    assertThat(op.write()).isZero();
    assertThat(source(op))
        .containsEntry("_tm_key", "k1")
        .containsEntry("_tm_from", Layout.encode(V))
        .containsEntry("_tm_to", Long.MAX_VALUE)
        .containsEntry("title", "red car")
        .hasSize(4);
  }

  @Test
  void anUpsertClosesThePreviousVersionAtTheEpochsVersionWithItsOwnDocument() throws IOException {
    byte[] previous = Json.payload(doc("title", "old"));
    List<DocOp> ops =
        map(
            epoch(Write.upsert("ads", "k1", doc("title", "new"))),
            Prior.of(new StoredVersion(PREVIOUS, Version.OPEN, previous)));

    assertThat(ops)
        .extracting(DocOp::kind)
        .containsExactly(Kind.CLOSE_VERSION, Kind.CREATE_VERSION);
    DocOp close = ops.get(0);
    assertThat(close.id()).isEqualTo("k1@1/100");
    assertThat(close.routing()).isEqualTo("k1");
    assertThat(source(close))
        .containsEntry("_tm_key", "k1")
        .containsEntry("_tm_from", Layout.encode(PREVIOUS))
        .containsEntry("_tm_to", Layout.encode(V))
        .containsEntry("title", "old");
    assertThat(source(ops.get(1))).containsEntry("title", "new");
  }

  @Test
  void aDeleteOnlyCloses() throws IOException {
    List<DocOp> ops =
        map(
            epoch(Write.delete("ads", "k1")),
            Prior.of(new StoredVersion(PREVIOUS, Version.OPEN, Json.payload(doc("a", 1)))));

    assertThat(ops).extracting(DocOp::kind).containsExactly(Kind.CLOSE_VERSION);
    assertThat(source(ops.get(0))).containsEntry("_tm_to", Layout.encode(V)).containsEntry("a", 1);
  }

  @Test
  void aDeleteOfAnUnknownKeyWritesNothing() {
    assertThat(map(epoch(Write.delete("ads", "k1")), Prior.NONE)).isEmpty();
  }

  @Test
  void onlyVersionsOpenAcrossTheEpochAreClosed() throws IOException {
    byte[] payload = Json.payload(doc("a", 1));
    Prior prior =
        new Prior(
            List.of(
                new StoredVersion(OLDER, V, payload), // closed at V already: a replay
                new StoredVersion(OLDER, PREVIOUS, payload), // closed before V
                new StoredVersion(V, Version.OPEN, payload), // this epoch's own version
                new StoredVersion(LATER, Version.OPEN, payload), // a later epoch's version
                new StoredVersion(PREVIOUS, LATER, payload), // closed later: wrong, repaired
                new StoredVersion(OLDER, Version.OPEN, payload)), // two open: both closed
            false);

    List<DocOp> ops = map(epoch(Write.upsert("ads", "k1", doc("a", 2))), prior);

    assertThat(ops)
        .filteredOn(op -> op.kind() == Kind.CLOSE_VERSION)
        .extracting(DocOp::id)
        .containsExactly("k1@1/100", "k1@0/FFFFFF00");
    assertThat(ops).filteredOn(op -> op.kind() == Kind.CREATE_VERSION).hasSize(1);
  }

  @Test
  void aWriteTheEpochAlreadyMadeWritesNothing() {
    assertThat(map(epoch(Write.upsert("ads", "k1", doc("a", 1))), Prior.ALREADY_WRITTEN)).isEmpty();
  }

  @Test
  void reservedFieldsAreFatalWithTheKey() {
    List<PreparedWrite> prepared =
        EpochMapper.prepare(epoch(Write.upsert("ads", "k7", doc("_tm_to", 5))), "tm-");

    assertThat(prepared.get(0).isValid()).isFalse();
    assertThat(prepared.get(0).fatal())
        .contains("'_tm_to'")
        .contains("key 'k7'")
        .contains("collection 'ads'");
    assertThat(EpochMapper.operations(V, prepared, List.of(Prior.NONE))).isEmpty();
  }

  @Test
  void nestedFieldsWithTheReservedPrefixAreAllowed() throws IOException {
    List<DocOp> ops =
        map(epoch(Write.upsert("ads", "k1", doc("meta", Map.of("_tm_key", "x")))), Prior.NONE);

    assertThat(source(ops.get(0))).containsEntry("meta", Map.of("_tm_key", "x"));
  }

  @Test
  void valuesThatAreNotJsonAreFatal() {
    List<PreparedWrite> prepared =
        EpochMapper.prepare(
            epoch(Write.upsert("ads", "k1", doc("when", Instant.parse("2024-01-01T00:00:00Z")))),
            "tm-");

    assertThat(prepared.get(0).fatal()).contains("not JSON-shaped").contains("key 'k1'");
  }

  @Test
  void aCollectionWithoutAValidIndexNameIsFatal() {
    List<PreparedWrite> prepared =
        EpochMapper.prepare(epoch(Write.upsert("_ads", "k1", doc("a", 1))), "");

    assertThat(prepared.get(0).fatal()).contains("'_ads'").contains("may not start with");
  }

  @Test
  void validWritesNextToAFatalOneAreMapped() {
    Epoch epoch =
        epoch(
            Write.upsert("ads", "bad", doc("_tm_key", "x")),
            Write.upsert("ads", "good", doc("a", 1)));
    List<PreparedWrite> prepared = EpochMapper.prepare(epoch, "tm-");
    List<DocOp> ops = EpochMapper.operations(V, prepared, List.of(Prior.NONE, Prior.NONE));

    assertThat(ops).extracting(DocOp::id).containsExactly("good@1/200");
    assertThat(ops.get(0).write()).isEqualTo(1);
  }

  @Test
  void longKeysUseTheirHashInIdsAndRoutingAndKeepTheRealKey() throws IOException {
    String key = "k".repeat(600);
    List<DocOp> ops = map(epoch(Write.upsert("ads", key, doc("a", 1))), Prior.NONE);

    DocOp op = ops.get(0);
    assertThat(op.id()).startsWith(Layout.HASHED_KEY_PREFIX).endsWith("@1/200");
    assertThat(op.id().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(512);
    assertThat(op.routing()).isEqualTo(Layout.idKey(key));
    assertThat(source(op)).containsEntry("_tm_key", key);
  }

  @Test
  void anEmptyDocumentIsStoredWithItsBookkeepingOnly() throws IOException {
    List<DocOp> ops = map(epoch(Write.upsert("ads", "k1", Map.of())), Prior.NONE);

    assertThat(source(ops.get(0))).containsOnlyKeys("_tm_key", "_tm_from", "_tm_to");
  }

  @Test
  void keysThatNeedJsonEscapingSurviveIntact() throws IOException {
    String key = "quote\" back\\slash \n ключ-🔑";
    List<DocOp> ops = map(epoch(Write.upsert("ads", key, doc("a", 1))), Prior.NONE);

    assertThat(source(ops.get(0))).containsEntry("_tm_key", key);
    assertThat(ops.get(0).id()).isEqualTo(key + "@1/200");
  }

  @Test
  void priorsMustMatchTheWrites() {
    List<PreparedWrite> prepared =
        EpochMapper.prepare(epoch(Write.upsert("ads", "k1", doc("a", 1))), "tm-");

    assertThatThrownBy(() -> EpochMapper.operations(V, prepared, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 writes but 0 priors");
  }

  private static List<DocOp> map(Epoch epoch, Prior... priors) {
    List<PreparedWrite> prepared = EpochMapper.prepare(epoch, "tm-");
    return EpochMapper.operations(V, prepared, new ArrayList<>(List.of(priors)));
  }

  private static Epoch epoch(Write... writes) {
    return new Epoch("listings", V, List.of(writes), writes.length);
  }

  private static Map<String, Object> doc(String field, Object value) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put(field, value);
    return doc;
  }

  private static Map<String, Object> source(DocOp op) throws IOException {
    return Json.MAPPER.readValue(op.source(), new TypeReference<Map<String, Object>>() {});
  }
}
