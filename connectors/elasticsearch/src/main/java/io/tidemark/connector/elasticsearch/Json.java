package io.tidemark.connector.elasticsearch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON for stored documents. A document's payload is serialized once, when its write is prepared;
 * the bytes go into the bulk request as they are and stay in the key cache, so closing that version
 * later splices new bookkeeping fields in front of the same bytes instead of serializing it again.
 */
final class Json {

  // Exact decimals: a numeric(30,10) must read back as it was written, as from the read database.
  static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private static final byte[] EMPTY_OBJECT = {'{', '}'};

  private Json() {}

  /** A JSON string literal. */
  static String quote(String text) {
    try {
      return MAPPER.writeValueAsString(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a string always serializes", e);
    }
  }

  /**
   * A document as a compact JSON object.
   *
   * @throws JsonProcessingException when a value is not JSON-shaped
   */
  static byte[] payload(Map<String, Object> document) throws JsonProcessingException {
    return document.isEmpty() ? EMPTY_OBJECT : MAPPER.writeValueAsBytes(document);
  }

  /**
   * The stored source of one version: the bookkeeping fields, then the payload's fields. {@code
   * payload} is a compact JSON object as {@link #payload} makes it.
   */
  static byte[] versionSource(String key, long from, long to, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + key.length() + 96);
    writeAscii(out, "{\"" + Layout.KEY + "\":");
    byte[] quotedKey = quote(key).getBytes(StandardCharsets.UTF_8);
    out.write(quotedKey, 0, quotedKey.length);
    writeAscii(out, ",\"" + Layout.FROM + "\":" + from + ",\"" + Layout.TO + "\":" + to);
    if (payload.length > 2) {
      out.write(',');
      out.write(payload, 1, payload.length - 1); // the payload's fields and its closing brace
    } else {
      out.write('}');
    }
    return out.toByteArray();
  }

  /** A stored source without its bookkeeping fields, as a compact JSON object. */
  static byte[] payloadOf(Map<String, Object> source) throws JsonProcessingException {
    return payload(withoutBookkeeping(source));
  }

  /** A copy of {@code source} without the top-level bookkeeping fields. */
  static Map<String, Object> withoutBookkeeping(Map<String, Object> source) {
    Map<String, Object> document = new LinkedHashMap<>(source);
    document.remove(Layout.KEY);
    document.remove(Layout.FROM);
    document.remove(Layout.TO);
    return document;
  }

  private static void writeAscii(ByteArrayOutputStream out, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    out.write(bytes, 0, bytes.length);
  }
}
