package io.tidemark.connector.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.connector.elasticsearch.KeyCache.CacheKey;
import io.tidemark.connector.elasticsearch.KeyCache.Current;
import io.tidemark.protocol.Version;
import org.junit.jupiter.api.Test;

class KeyCacheTest {

  private static final byte[] DOC = {'{', '}'};

  @Test
  void leastRecentlyUsedKeysGoFirst() {
    KeyCache cache = new KeyCache(2);
    cache.put(key("a"), current(1, 1));
    cache.put(key("b"), current(2, 1));
    cache.get(key("a")); // b is now the least recently used
    cache.put(key("c"), current(3, 1));

    cache.trim(1);

    assertThat(cache.get(key("b"))).isNull();
    assertThat(cache.get(key("a"))).isNotNull();
    assertThat(cache.get(key("c"))).isNotNull();
  }

  @Test
  void keysWrittenAfterTheLastRefreshStayBeyondTheCapacity() {
    KeyCache cache = new KeyCache(1);
    cache.put(key("a"), current(1, 5));
    cache.put(key("b"), current(2, 6));
    cache.put(key("c"), current(3, 7));

    cache.trim(5); // only apply call 5 is searchable

    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.get(key("a"))).isNull();
    assertThat(cache.get(key("b"))).isNotNull();
    assertThat(cache.get(key("c"))).isNotNull();

    cache.trim(7); // all searchable now

    assertThat(cache.size()).isEqualTo(1);
    assertThat(cache.get(key("c"))).isNotNull();
  }

  @Test
  void aZeroCapacityKeepsOnlyUnrefreshedKeys() {
    KeyCache cache = new KeyCache(0);
    cache.put(key("a"), current(1, 1));
    cache.put(key("b"), current(2, 2));

    cache.trim(1);

    assertThat(cache.get(key("a"))).isNull();
    assertThat(cache.get(key("b"))).isNotNull();
  }

  @Test
  void theSameKeyInAnotherCollectionIsAnotherEntry() {
    KeyCache cache = new KeyCache(10);
    cache.put(new CacheKey("ads", "k"), current(1, 1));

    assertThat(cache.get(new CacheKey("users", "k"))).isNull();
    assertThat(cache.get(new CacheKey("ads", "k")).from()).isEqualTo(Version.of(1));
  }

  @Test
  void aDeleteIsRememberedWithoutADocument() {
    assertThat(new Current(Version.of(1), null, 1).isDeleted()).isTrue();
    assertThat(current(1, 1).isDeleted()).isFalse();
  }

  private static CacheKey key(String key) {
    return new CacheKey("ads", key);
  }

  private static Current current(long version, long sequence) {
    return new Current(Version.of(version), DOC, sequence);
  }
}
