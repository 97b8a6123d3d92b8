package io.tidemark.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tidemark.protocol.Version;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpochLogTest {

  @TempDir Path dir;

  @Test
  void survivesReopenAndDropsATornLastRecord() throws Exception {
    Path file = dir.resolve("epochs");
    try (EpochLog log = EpochLog.open(file)) {
      log.append(Version.of(10));
      log.append(Version.of(0x1_0000_0000L));
    }
    Files.write(file, new byte[] {1, 2, 3}, StandardOpenOption.APPEND); // crash mid-append
    try (EpochLog log = EpochLog.open(file)) {
      assertThat(log.boundariesAbove(Version.ZERO))
          .containsExactly(Version.of(10), Version.of(0x1_0000_0000L));
      log.append(Version.of(0x1_0000_0001L));
    }
    try (EpochLog log = EpochLog.open(file)) {
      assertThat(log.size()).isEqualTo(3);
    }
  }

  @Test
  void refusesBoundariesThatDoNotIncrease() {
    try (EpochLog log = EpochLog.open(dir.resolve("epochs"))) {
      log.append(Version.of(10));
      assertThatThrownBy(() -> log.append(Version.of(10)))
          .hasMessageContaining("0/A is not after the last recorded 0/A");
    }
  }

  @Test
  void compactionKeepsTheBoundaryAndEverythingAbove() {
    Path file = dir.resolve("epochs");
    try (EpochLog log = EpochLog.open(file)) {
      for (long v = 1; v <= 5; v++) {
        log.append(Version.of(v));
      }
      log.compactBelow(Version.of(3));
      log.append(Version.of(6));
      assertThat(log.boundariesAbove(Version.ZERO))
          .extracting(Version::asLong)
          .containsExactly(3L, 4L, 5L, 6L);
    }
    try (EpochLog log = EpochLog.open(file)) {
      assertThat(log.boundariesAbove(Version.ZERO))
          .extracting(Version::asLong)
          .containsExactly(3L, 4L, 5L, 6L);
    }
  }
}
