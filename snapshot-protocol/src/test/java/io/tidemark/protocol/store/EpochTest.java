package io.tidemark.protocol.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.protocol.Version;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class EpochTest {

  private static Write put(String collection, String key, int value) {
    return Write.upsert(collection, key, Map.of("v", value));
  }

  @Test
  void theLastWriteOfEachKeyWinsInFirstTouchedOrder() {
    Epoch epoch =
        Epoch.builder("listings")
            .add(put("ads", "1", 1))
            .add(put("ads", "2", 1))
            .add(put("ads", "1", 2))
            .add(put("users", "1", 1)) // same key, other collection: another entry
            .add(Write.delete("ads", "2"))
            .add(put("ads", "1", 3))
            .build(Version.of(0x42));
    assertThat(epoch.source()).isEqualTo("listings");
    assertThat(epoch.version()).isEqualTo(Version.of(0x42));
    assertThat(epoch.writes())
        .containsExactly(put("ads", "1", 3), Write.delete("ads", "2"), put("users", "1", 1));
    assertThat(epoch.sourceChanges()).isEqualTo(6);
  }

  @Test
  void aDeleteThenReinsertIsTheReinsert() {
    Epoch.Builder builder = Epoch.builder("s");
    builder.add(Write.delete("ads", "7")).add(put("ads", "7", 9));
    assertThat(builder.size()).isEqualTo(1);
    assertThat(builder.sourceChanges()).isEqualTo(2);
    assertThat(builder.build(Version.of(1)).writes()).containsExactly(put("ads", "7", 9));
  }

  @Test
  void aBuiltEpochDoesNotChangeWhenTheBuilderGoesOn() {
    Epoch.Builder builder = Epoch.builder("s").add(put("ads", "1", 1));
    Epoch first = builder.build(Version.of(1));
    builder.add(put("ads", "1", 2)).add(put("ads", "2", 2));
    assertThat(first.writes()).containsExactly(put("ads", "1", 1));
    assertThat(first.sourceChanges()).isEqualTo(1);
  }

  @Test
  void aProgressEpochOnlyMovesTheWatermark() {
    Epoch progress = Epoch.progress("listings", Version.of(9));
    assertThat(progress.writes()).isEmpty();
    assertThat(progress.sourceChanges()).isZero();
    assertThat(progress.version()).isEqualTo(Version.of(9));
  }

  @Test
  void keysWithSeparatorsStayDistinct() {
    // a (collection, key) pair is not glued into one string: "a/b"+"c" is not "a"+"b/c"
    Epoch epoch =
        Epoch.builder("s").add(put("a/b", "c", 1)).add(put("a", "b/c", 2)).build(Version.of(1));
    assertThat(epoch.writes()).hasSize(2);
  }

  @Property(tries = 500)
  void coalescingKeepsExactlyTheLastWritePerKey(@ForAll("writes") List<Write> writes) {
    Epoch.Builder builder = Epoch.builder("s");
    writes.forEach(builder::add);
    Epoch epoch = builder.build(Version.of(1));

    Map<List<String>, Write> last = new HashMap<>();
    writes.forEach(w -> last.put(List.of(w.collection(), w.key()), w));
    assertThat(epoch.writes()).hasSize(last.size());
    assertThat(epoch.writes()).containsExactlyInAnyOrderElementsOf(last.values());
    assertThat(epoch.sourceChanges()).isEqualTo(writes.size());
    List<List<String>> firstTouched =
        writes.stream().map(w -> List.of(w.collection(), w.key())).distinct().toList();
    assertThat(epoch.writes().stream().map(w -> List.of(w.collection(), w.key())).toList())
        .isEqualTo(firstTouched);
  }

  @Provide
  Arbitrary<List<Write>> writes() {
    Arbitrary<String> collections = Arbitraries.of("ads", "users");
    Arbitrary<String> keys = Arbitraries.of("1", "2", "3", "ü", "a b", "x@y");
    Arbitrary<Integer> values = Arbitraries.integers().between(-1, 5);
    return Combinators.combine(collections, keys, values)
        .as((c, k, v) -> v < 0 ? Write.delete(c, k) : put(c, k, v))
        .list()
        .ofMaxSize(50);
  }
}
