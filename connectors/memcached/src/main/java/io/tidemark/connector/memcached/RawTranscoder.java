package io.tidemark.connector.memcached;

import net.spy.memcached.CachedData;
import net.spy.memcached.transcoders.Transcoder;

/**
 * Values as they are: no Java serialization and no compression (spymemcached's default transcoder
 * gzips values over 16 KB, which costs more CPU than the bytes it saves on a local network). The
 * store keeps values under the server's item size itself.
 */
final class RawTranscoder implements Transcoder<byte[]> {

  static final RawTranscoder INSTANCE = new RawTranscoder();

  private static final int FLAGS = 0x7D00; // marks Tidemark values for anyone inspecting items

  private RawTranscoder() {}

  @Override
  public boolean asyncDecode(CachedData data) {
    return false;
  }

  @Override
  public CachedData encode(byte[] value) {
    return new CachedData(FLAGS, value, Integer.MAX_VALUE);
  }

  @Override
  public byte[] decode(CachedData data) {
    return data.getData();
  }

  @Override
  public int getMaxSize() {
    return Integer.MAX_VALUE;
  }
}
