package io.tidemark.coordinator;

import io.tidemark.protocol.Version;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable record of epoch boundaries (design §6): each epoch's end version is appended and
 * forced to disk before any lane applies the epoch, so that after a crash the replayed stream is
 * cut at exactly the same boundaries in every store.
 *
 * <p>Format: a sequence of 8-byte big-endian unsigned LSNs, increasing. A torn last record (a crash
 * mid-append) is shorter than 8 bytes and is dropped on open: its epoch was never handed to a lane.
 */
final class EpochLog implements AutoCloseable {

  private final Path file;
  private FileChannel channel;
  private final List<Version> boundaries = new ArrayList<>();

  private EpochLog(Path file) {
    this.file = file;
  }

  static EpochLog open(Path file) {
    EpochLog log = new EpochLog(file);
    try {
      Files.createDirectories(file.getParent());
      if (Files.exists(file)) {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        Version previous = null;
        while (buffer.remaining() >= Long.BYTES) {
          Version v = Version.of(buffer.getLong());
          if (previous != null && !v.isAfter(previous)) {
            throw new IllegalStateException(
                "epoch log "
                    + file
                    + " is not increasing at "
                    + v
                    + " after "
                    + previous
                    + "; it was not written by Tidemark or is corrupt");
          }
          log.boundaries.add(v);
          previous = v;
        }
      }
      log.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      log.channel.truncate((long) log.boundaries.size() * Long.BYTES);
      log.channel.position(log.channel.size());
      return log;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open epoch log " + file, e);
    }
  }

  /** Records a boundary durably. Boundaries only increase. */
  synchronized void append(Version boundary) {
    Version last = last();
    if (last != null && !boundary.isAfter(last)) {
      throw new IllegalArgumentException(
          "epoch boundary " + boundary + " is not after the last recorded " + last);
    }
    try {
      ByteBuffer buffer = ByteBuffer.allocate(Long.BYTES).putLong(boundary.asLong()).flip();
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(false);
      boundaries.add(boundary);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to epoch log " + file, e);
    }
  }

  synchronized Version last() {
    return boundaries.isEmpty() ? null : boundaries.get(boundaries.size() - 1);
  }

  /** The recorded boundaries above {@code version}, in order. */
  synchronized List<Version> boundariesAbove(Version version) {
    List<Version> above = new ArrayList<>();
    for (Version b : boundaries) {
      if (b.isAfter(version)) {
        above.add(b);
      }
    }
    return above;
  }

  /**
   * Forgets boundaries below {@code version} (every store holds them durably and the source will
   * not replay them), keeping {@code version} itself and everything above. Rewrites the file
   * atomically.
   */
  synchronized void compactBelow(Version version) {
    int keepFrom = 0;
    while (keepFrom < boundaries.size() && boundaries.get(keepFrom).isBefore(version)) {
      keepFrom++;
    }
    if (keepFrom == 0) {
      return;
    }
    List<Version> kept = new ArrayList<>(boundaries.subList(keepFrom, boundaries.size()));
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      ByteBuffer buffer = ByteBuffer.allocate(kept.size() * Long.BYTES);
      kept.forEach(v -> buffer.putLong(v.asLong()));
      try (FileChannel out =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      channel.close();
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      channel = FileChannel.open(file, StandardOpenOption.WRITE);
      channel.position(channel.size());
      boundaries.clear();
      boundaries.addAll(kept);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compact epoch log " + file, e);
    }
  }

  synchronized int size() {
    return boundaries.size();
  }

  @Override
  public synchronized void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
