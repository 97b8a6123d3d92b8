package io.tidemark.coordinator;

import io.tidemark.protocol.SnapshotToken;
import io.tidemark.protocol.Stamp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The published frontier, persisted so that a restarted coordinator never publishes a lower one
 * (invariant 3). Written atomically: a temporary file, forced, then renamed over the old one.
 */
final class FrontierFile {

  private final Path file;

  FrontierFile(Path file) {
    this.file = file;
  }

  /** The persisted frontier, or empty when there is none yet. */
  Stamp read() {
    try {
      if (!Files.exists(file)) {
        return Stamp.empty();
      }
      String text = Files.readString(file, StandardCharsets.UTF_8).trim();
      return text.isEmpty() ? Stamp.empty() : SnapshotToken.parse(text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the persisted frontier " + file, e);
    }
  }

  synchronized void write(Stamp frontier) {
    if (frontier.isEmpty()) {
      return;
    }
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      try (FileChannel out =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        out.write(ByteBuffer.wrap((frontier.token() + "\n").getBytes(StandardCharsets.UTF_8)));
        out.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot persist the frontier to " + file, e);
    }
  }
}
