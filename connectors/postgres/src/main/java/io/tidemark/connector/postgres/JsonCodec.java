package io.tidemark.connector.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/**
 * Documents to and from jsonb text. Floating-point numbers come back as {@link
 * java.math.BigDecimal} because jsonb keeps numbers as exact {@code numeric}: a double would round
 * values that a source {@code numeric} column held exactly.
 */
final class JsonCodec {

  private static final TypeReference<Map<String, Object>> DOCUMENT = new TypeReference<>() {};

  private final ObjectMapper mapper =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  String write(Map<String, Object> document) throws JsonProcessingException {
    return mapper.writeValueAsString(document);
  }

  Map<String, Object> read(String json) {
    try {
      return mapper.readValue(json, DOCUMENT);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("jsonb text the database returned is not a JSON object", e);
    }
  }
}
