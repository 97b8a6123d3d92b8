package io.tidemark.coordinator;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Turns source row values into JSON-shaped values that every store can hold: String, Long, Integer,
 * Double, BigDecimal, Boolean, null, List and Map stay; java.time values and UUIDs become their
 * ISO/text form; bytes become base64 text. Anything else is refused with the column named, so that
 * no store is handed a value it would serialize differently from the others.
 */
public final class JsonValues {

  private JsonValues() {}

  /** The row with every value JSON-shaped (see the class comment). */
  public static Map<String, Object> row(Map<String, Object> row) {
    Map<String, Object> out = new LinkedHashMap<>(row.size() * 2);
    row.forEach((column, value) -> out.put(column, value(column, value)));
    return out;
  }

  static Object value(String column, Object value) {
    if (value == null
        || value instanceof String
        || value instanceof Boolean
        || value instanceof Long
        || value instanceof Integer
        || value instanceof Double
        || value instanceof BigDecimal) {
      return value;
    }
    if (value instanceof Short || value instanceof Byte) {
      return ((Number) value).intValue();
    }
    if (value instanceof Float) {
      return ((Float) value).doubleValue();
    }
    if (value instanceof BigInteger) {
      return new BigDecimal((BigInteger) value);
    }
    if (value instanceof TemporalAccessor || value instanceof UUID || value instanceof Character) {
      return value.toString();
    }
    if (value instanceof Date) {
      return ((Date) value).toInstant().toString();
    }
    if (value instanceof byte[]) {
      return Base64.getEncoder().encodeToString((byte[]) value);
    }
    if (value instanceof ByteBuffer) {
      ByteBuffer copy = ((ByteBuffer) value).duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      return Base64.getEncoder().encodeToString(bytes);
    }
    if (value instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      ((Map<?, ?>) value).forEach((k, v) -> out.put(String.valueOf(k), value(column, v)));
      return out;
    }
    if (value instanceof Collection) {
      List<Object> out = new ArrayList<>();
      for (Object element : (Collection<?>) value) {
        out.add(value(column, element));
      }
      return out;
    }
    throw new IllegalArgumentException(
        "column '"
            + column
            + "' has a value of type "
            + value.getClass().getName()
            + " that Tidemark cannot project; supported: text, numbers, booleans, dates and"
            + " times, uuid, bytea, json, arrays");
  }
}
