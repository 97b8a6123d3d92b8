package io.tidemark.source.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowTest {
  final Row.Columns columns = new Row.Columns(new String[] {"id", "title", "note"});
  final Row row = new Row(columns, new Object[] {7L, "a", null}, null);

  @Test
  void behavesAsAnOrderedMapWithNullValues() {
    Map<String, Object> same = new LinkedHashMap<>();
    same.put("id", 7L);
    same.put("title", "a");
    same.put("note", null);

    assertThat(row).isEqualTo(same);
    assertThat(same).isEqualTo(row);
    assertThat(row.hashCode()).isEqualTo(same.hashCode());
    assertThat(row.keySet()).containsExactly("id", "title", "note");
    assertThat(row.get("title")).isEqualTo("a");
    assertThat(row.get("missing")).isNull();
    assertThat(row.containsKey("note")).isTrue();
    assertThat(row.containsKey("missing")).isFalse();
    assertThat(row).hasToString("{id=7, title=a, note=null}");
    assertThat(row).isNotEqualTo(Map.of("id", 7L, "title", "a"));
  }

  @Test
  void cannotBeChanged() {
    assertThatThrownBy(() -> row.put("id", 8L)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> row.entrySet().iterator().next().setValue(8L))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> row.remove("id")).isInstanceOf(UnsupportedOperationException.class);
  }
}
