package io.tidemark.connector.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisStoreConfigTest {

  @Test
  void defaultsAndAddressParts() {
    RedisStoreConfig config = RedisStoreConfig.of("cache", "127.0.0.1:6379");
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.port()).isEqualTo(6379);
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.maxVersionsPerKey()).isEqualTo(64);
    assertThat(config.withMaxVersionsPerKey(3).maxVersionsPerKey()).isEqualTo(3);
  }

  @Test
  void rejectsBadValuesNamingThem() {
    assertThatThrownBy(() -> RedisStoreConfig.of("cache", "localhost"))
        .hasMessageContaining("address 'localhost'")
        .hasMessageContaining("host:port");
    assertThatThrownBy(() -> RedisStoreConfig.of("cache", "h:70000"))
        .hasMessageContaining("1-65535");
    assertThatThrownBy(() -> RedisStoreConfig.of(" ", "h:1")).hasMessageContaining("storeName");
    assertThatThrownBy(() -> RedisStoreConfig.of("c", "h:1").withMaxConnections(0))
        .hasMessageContaining("maxConnections = 0");
    assertThatThrownBy(
            () ->
                RedisStoreConfig.of("c", "h:1").withTimeouts(Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessageContaining("connectTimeout = PT0S");
  }
}
