package io.tidemark.connector.contract;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The equality the contract suite uses for documents: equality after a JSON round trip.
 *
 * <ul>
 *   <li>Numbers of any Java type compare by value: each becomes a {@link BigDecimal} with trailing
 *       zeros stripped ({@code 5}, {@code 5L}, {@code 5.0} and {@code new BigDecimal("5.00")} are
 *       equal; doubles go through their shortest decimal text, {@link Double#toString}). JSON has
 *       one number type, and stores (jsonb, Elasticsearch {@code _source}, a Jackson codec) pick
 *       their own Java type when reading it back.
 *   <li>Objects compare as maps, ignoring key order; a key present with {@code null} differs from
 *       an absent key (JSON keeps that difference).
 *   <li>Arrays compare in order; strings exactly (code points, no Unicode normalization); booleans
 *       and null as themselves.
 * </ul>
 *
 * Anything else (dates, byte arrays, NaN or infinite doubles) is not a JSON value and is refused,
 * so a store that returns such a thing fails the suite instead of comparing by accident.
 */
public final class JsonNormalization {

  private JsonNormalization() {}

  /** The canonical form of a JSON-shaped value (see the class comment). */
  public static Object normalize(Object value) {
    if (value == null || value instanceof String || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Number number) {
      return normalizeNumber(number);
    }
    if (value instanceof Map<?, ?> map) {
      TreeMap<String, Object> sorted = new TreeMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!(e.getKey() instanceof String name)) {
          throw new IllegalArgumentException(
              "not a JSON object: key " + e.getKey() + " is not a string");
        }
        sorted.put(name, normalize(e.getValue()));
      }
      return Collections.unmodifiableMap(sorted);
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object element : list) {
        out.add(normalize(element));
      }
      return Collections.unmodifiableList(out);
    }
    throw new IllegalArgumentException(
        "not a JSON value: "
            + value.getClass().getName()
            + " (expected Map, List, String, Number, Boolean or null)");
  }

  /** Whether two documents are equal after a JSON round trip. */
  public static boolean sameDocument(Object a, Object b) {
    return normalize(a).equals(normalize(b));
  }

  private static BigDecimal normalizeNumber(Number number) {
    BigDecimal decimal;
    if (number instanceof BigDecimal d) {
      decimal = d;
    } else if (number instanceof BigInteger i) {
      decimal = new BigDecimal(i);
    } else if (number instanceof Double || number instanceof Float) {
      double d = number.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("not a JSON number: " + d);
      }
      decimal = new BigDecimal(number.toString());
    } else {
      decimal = BigDecimal.valueOf(number.longValue());
    }
    return decimal.signum() == 0 ? BigDecimal.ZERO : decimal.stripTrailingZeros();
  }
}
