package io.tidemark.source.postgres;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Debezium's offsets in a file that is replaced atomically: written to a temporary file, forced to
 * disk, then renamed over the old one. Kafka's {@code FileOffsetBackingStore} truncates and
 * rewrites the file in place, so a process killed in the middle of a write leaves an empty or
 * partial file, and the next start either cannot read its offsets or silently starts over. Here a
 * kill leaves the old file or the new one, whole; a checksum catches anything else.
 *
 * <p>Public only because Debezium instantiates the class named in {@code offset.storage}; not part
 * of the source's API.
 */
public final class AtomicFileOffsetStore extends MemoryOffsetBackingStore {
  private static final int MAGIC = 0x544d4f31; // "TMO1"

  private Path file;

  public AtomicFileOffsetStore() {}

  @Override
  public void configure(WorkerConfig config) {
    super.configure(config);
    String name = config.originalsStrings().get("offset.storage.file.filename");
    if (name == null || name.isBlank()) {
      throw new ConnectException("offset.storage.file.filename is not set");
    }
    file = Path.of(name);
  }

  @Override
  public synchronized void start() {
    super.start();
    data = read(file);
  }

  /** The offsets in {@code file}; empty when there is no file. */
  static Map<ByteBuffer, ByteBuffer> read(Path file) {
    Map<ByteBuffer, ByteBuffer> offsets = new HashMap<>();
    if (!Files.exists(file)) {
      return offsets;
    }
    try {
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length < 16) {
        throw new ConnectException(
            "offset file " + file + " is truncated (" + bytes.length + " bytes)");
      }
      CRC32 crc = new CRC32();
      crc.update(bytes, 0, bytes.length - 8);
      long stored = ByteBuffer.wrap(bytes, bytes.length - 8, 8).getLong();
      if (stored != crc.getValue()) {
        throw new ConnectException("offset file " + file + " is corrupt (checksum mismatch)");
      }
      try (DataInputStream in =
          new DataInputStream(new java.io.ByteArrayInputStream(bytes, 0, bytes.length - 8))) {
        if (in.readInt() != MAGIC) {
          throw new ConnectException("offset file " + file + " is not a Tidemark offset file");
        }
        int entries = in.readInt();
        for (int i = 0; i < entries; i++) {
          offsets.put(wrap(readBytes(in)), wrap(readBytes(in)));
        }
      }
      return offsets;
    } catch (IOException e) {
      throw new ConnectException("cannot read offset file " + file + ": " + e, e);
    }
  }

  private static ByteBuffer wrap(byte[] bytes) {
    return bytes == null ? null : ByteBuffer.wrap(bytes);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  @Override
  protected void save() {
    try {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(buffer)) {
        out.writeInt(MAGIC);
        out.writeInt(data.size());
        for (Map.Entry<ByteBuffer, ByteBuffer> e : data.entrySet()) {
          writeBytes(out, e.getKey());
          writeBytes(out, e.getValue());
        }
      }
      CRC32 crc = new CRC32();
      crc.update(buffer.toByteArray());
      byte[] body = buffer.toByteArray();
      ByteBuffer whole = ByteBuffer.allocate(body.length + 8).put(body).putLong(crc.getValue());
      whole.flip();
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      try (FileChannel channel =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        while (whole.hasRemaining()) {
          channel.write(whole);
        }
        channel.force(true);
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new ConnectException("cannot write offset file " + file + ": " + e, e);
    }
  }

  private static void writeBytes(DataOutputStream out, ByteBuffer bytes) throws IOException {
    if (bytes == null) {
      out.writeInt(-1);
      return;
    }
    ByteBuffer b = bytes.duplicate();
    out.writeInt(b.remaining());
    byte[] array = new byte[b.remaining()];
    b.get(array);
    out.write(array);
  }

  @Override
  public Set<Map<String, Object>> connectorPartitions(String connectorName) {
    return Collections.emptySet();
  }
}
