package io.tidemark.source.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.debezium.embedded.EmbeddedWorkerConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileOffsetStoreTest {
  @TempDir Path dir;

  AtomicFileOffsetStore store(Path file) {
    AtomicFileOffsetStore store = new AtomicFileOffsetStore();
    store.configure(
        new EmbeddedWorkerConfig(
            new java.util.HashMap<>(Map.of("offset.storage.file.filename", file.toString()))));
    store.start();
    return store;
  }

  static ByteBuffer bytes(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void offsetsSurviveARestartAndLeaveNoTemporaryFile() throws Exception {
    Path file = dir.resolve("offsets");
    AtomicFileOffsetStore first = store(file);
    assertThat(first.get(List.of(bytes("k"))).get(5, TimeUnit.SECONDS))
        .containsEntry(bytes("k"), null);
    first.set(Map.of(bytes("k"), bytes("v1")), null).get(5, TimeUnit.SECONDS);
    first.set(Map.of(bytes("k"), bytes("v2")), null).get(5, TimeUnit.SECONDS);
    first.stop();

    AtomicFileOffsetStore second = store(file);
    assertThat(second.get(List.of(bytes("k"))).get(5, TimeUnit.SECONDS))
        .containsEntry(bytes("k"), bytes("v2"));
    second.stop();
    assertThat(Files.list(dir).map(p -> p.getFileName().toString())).containsExactly("offsets");
  }

  @Test
  void aDamagedFileIsRefusedNotTakenForNoOffsets() throws Exception {
    Path file = dir.resolve("offsets");
    AtomicFileOffsetStore store = store(file);
    store.set(Map.of(bytes("k"), bytes("value")), null).get(5, TimeUnit.SECONDS);
    store.stop();
    byte[] content = Files.readAllBytes(file);
    content[content.length - 12] ^= 1;
    Files.write(file, content);

    assertThatThrownBy(() -> store(file))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("checksum mismatch");
  }
}
