package io.tidemark.connector.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Documents as JSON bytes. A compact binary encoding was considered and not used: measured in the
 * module's benchmark, encoding a 300-byte document costs about 0.5-2 us and decoding about 0.7-2
 * us, against about 7-19 us for a versioned write and 20-50 us for a read, so a faster codec could
 * not move either figure much, and JSON keeps cached values readable with the store's own tools.
 */
final class Documents {

  // Exact decimals: a numeric(30,10) must read back as it was written, as from the read database.
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private Documents() {}

  /**
   * The document's JSON.
   *
   * @throws IllegalArgumentException when a value cannot be written as JSON
   */
  static byte[] encode(Map<String, Object> document) {
    try {
      return MAPPER.writeValueAsBytes(document);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "document cannot be written as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The document from {@code length} JSON bytes at {@code offset}. */
  static Map<String, Object> decode(byte[] json, int offset, int length) {
    try {
      return MAPPER.readValue(json, offset, length, MAP);
    } catch (IOException e) {
      throw new UncheckedIOException("cached document is not a JSON object", e);
    }
  }
}
