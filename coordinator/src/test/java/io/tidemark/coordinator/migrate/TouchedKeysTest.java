package io.tidemark.coordinator.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TouchedKeysTest {

  @Test
  void readsTheKeysOfInsertsUpdatesAndDeletesOfItsTableOnly() {
    TouchedKeys touched = new TouchedKeys("public.ads", List.of("id"));
    touched.accept("BEGIN 771");
    touched.accept(
        "table public.ads: INSERT: id[bigint]:1 title[text]:'it''s new' price[integer]:5");
    touched.accept(
        "table public.ads: UPDATE: old-key: id[bigint]:2 title[text]:'a b' price[integer]:null"
            + " new-tuple: id[bigint]:3 title[text]:'x' price[integer]:7");
    touched.accept("table public.ads: DELETE: id[bigint]:4 title[text]:'gone' price[integer]:1");
    touched.accept("table public.other: INSERT: id[bigint]:99");
    touched.accept("table public.ads_archive: INSERT: id[bigint]:98");
    touched.accept("COMMIT 771");
    assertThat(touched.all()).isFalse();
    assertThat(touched.keys()).containsExactlyInAnyOrder("1", "2", "3", "4");
    assertThat(touched.touched("3")).isTrue();
    assertThat(touched.touched("5")).isFalse();
  }

  @Test
  void compositeAndTextKeysBecomeTheStoreKey() {
    TouchedKeys touched = new TouchedKeys("public.t", List.of("region", "id"));
    touched.accept("table public.t: INSERT: id[integer]:7 region[text]:'eu,west' note[text]:'n'");
    assertThat(touched.keys()).containsExactly("eu%2Cwest,7");
  }

  @Test
  void aTruncateOrAKeyOfAnInexactTypeCountsEveryKeyAsTouched() {
    TouchedKeys truncated = new TouchedKeys("public.ads", List.of("id"));
    truncated.accept("table public.ads: TRUNCATE: (no-flags)");
    assertThat(truncated.all()).isTrue();
    assertThat(truncated.touched("anything")).isTrue();

    TouchedKeys timestamps = new TouchedKeys("public.ev", List.of("at"));
    timestamps.accept(
        "table public.ev: INSERT: at[timestamp with time zone]:'2026-01-01 00:00:00+00'");
    assertThat(timestamps.all()).isTrue();

    TouchedKeys garbled = new TouchedKeys("public.ads", List.of("id"));
    garbled.accept("table public.ads: INSERT: id[bigint]:'unterminated");
    assertThat(garbled.all()).isTrue();
  }
}
