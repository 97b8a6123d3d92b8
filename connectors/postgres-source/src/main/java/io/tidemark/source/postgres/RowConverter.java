package io.tidemark.source.postgres;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns Debezium's row structs into plain typed maps: column → String, Integer, Long, Double,
 * BigDecimal, Boolean, byte[], LocalDate, LocalTime, LocalDateTime, Instant (timestamptz),
 * OffsetTime (timetz), List (arrays), Map (hstore, other structs) or null.
 *
 * <p>Debezium encodes dates and times as numbers or text with a logical schema name (with {@code
 * time.precision.mode=adaptive_time_microseconds}); the name decides the Java type. Per-schema
 * field converters are built once and cached by schema identity (Debezium reuses a table's schema
 * object until the table changes), so the per-row cost is one array walk. Not thread-safe: one
 * instance per engine thread.
 */
final class RowConverter {

  /** Debezium's stand-in for a TOASTed column it did not receive; never a real value for us. */
  static final String UNAVAILABLE = "__debezium_unavailable_value";

  private static final int MAX_CACHED_SCHEMAS = 1024;

  private static final byte[] UNAVAILABLE_BYTES =
      UNAVAILABLE.getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private final Map<Schema, CompiledSchema> compiled = new IdentityHashMap<>();

  /** The row as an unmodifiable map in column order, or null for a null struct. */
  Row row(Struct struct) {
    if (struct == null) {
      return null;
    }
    Schema schema = struct.schema();
    CompiledSchema c = compiled.get(schema);
    if (c == null) {
      if (compiled.size() >= MAX_CACHED_SCHEMAS) {
        compiled.clear();
      }
      c = compile(schema);
      compiled.put(schema, c);
    }
    FieldConverter[] fields = c.fields;
    Object[] values = new Object[fields.length];
    String unavailable = null;
    for (int i = 0; i < fields.length; i++) {
      FieldConverter f = fields[i];
      Object value = f.convert(struct.get(f.field));
      if (f.textual && value != null && isPlaceholder(value)) {
        unavailable = f.name;
      }
      values[i] = value;
    }
    return new Row(c.columns, values, unavailable);
  }

  private static boolean isPlaceholder(Object value) {
    return value instanceof String s
        ? s.equals(UNAVAILABLE)
        : value instanceof byte[] b && java.util.Arrays.equals(b, UNAVAILABLE_BYTES);
  }

  private record CompiledSchema(Row.Columns columns, FieldConverter[] fields) {}

  private static CompiledSchema compile(Schema schema) {
    List<Field> fields = schema.fields();
    FieldConverter[] result = new FieldConverter[fields.size()];
    String[] names = new String[fields.size()];
    for (int i = 0; i < result.length; i++) {
      Field field = fields.get(i);
      Schema.Type type = field.schema().type();
      result[i] =
          new FieldConverter(
              field,
              field.name(),
              converterFor(field.schema()),
              type == Schema.Type.STRING || type == Schema.Type.BYTES);
      names[i] = field.name();
    }
    return new CompiledSchema(new Row.Columns(names), result);
  }

  private record FieldConverter(
      Field field, String name, ValueConverter converter, boolean textual) {
    Object convert(Object value) {
      return value == null ? null : converter.convert(value);
    }
  }

  @FunctionalInterface
  private interface ValueConverter {
    Object convert(Object value);
  }

  /** The converter for values of this schema (never called with null). */
  static Object convert(Schema schema, Object value) {
    return value == null ? null : converterFor(schema).convert(value);
  }

  private static ValueConverter converterFor(Schema schema) {
    String logical = schema.name();
    if (logical != null) {
      ValueConverter byName = logicalConverter(logical, schema);
      if (byName != null) {
        return byName;
      }
    }
    switch (schema.type()) {
      case INT8:
      case INT16:
        return v -> ((Number) v).intValue();
      case FLOAT32:
        // real → the double with the same decimal text (1.1f → 1.1, not 1.100000023841858)
        return v -> Double.parseDouble(Float.toString((Float) v));
      case BYTES:
        return RowConverter::bytes;
      case ARRAY:
        {
          ValueConverter element = converterFor(schema.valueSchema());
          return v -> {
            List<?> list = (List<?>) v;
            List<Object> out = new ArrayList<>(list.size());
            for (Object e : list) {
              out.add(e == null ? null : element.convert(e));
            }
            return Collections.unmodifiableList(out);
          };
        }
      case MAP:
        {
          ValueConverter key = converterFor(schema.keySchema());
          ValueConverter value = converterFor(schema.valueSchema());
          return v -> {
            Map<Object, Object> out = new LinkedHashMap<>();
            ((Map<?, ?>) v)
                .forEach(
                    (k, e) ->
                        out.put(
                            k == null ? null : key.convert(k),
                            e == null ? null : value.convert(e)));
            return Collections.unmodifiableMap(out);
          };
        }
      case STRUCT:
        return v -> nested((Struct) v);
      default:
        // INT32 → Integer, INT64 → Long, FLOAT64 → Double, BOOLEAN, STRING: already plain.
        return v -> v;
    }
  }

  private static ValueConverter logicalConverter(String logical, Schema schema) {
    switch (logical) {
      case "io.debezium.time.Date":
        return v -> LocalDate.ofEpochDay(((Number) v).longValue());
      case "io.debezium.time.Time":
        return v -> LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000_000L);
      case "io.debezium.time.MicroTime":
        return v -> microsTime(((Number) v).longValue());
      case "io.debezium.time.NanoTime":
        return v -> LocalTime.ofNanoOfDay(((Number) v).longValue());
      case "io.debezium.time.Timestamp":
        return v -> localDateTime(((Number) v).longValue(), 1_000L);
      case "io.debezium.time.MicroTimestamp":
        return v -> localDateTime(((Number) v).longValue(), 1L);
      case "io.debezium.time.NanoTimestamp":
        return v -> nanosTimestamp(((Number) v).longValue());
      case "io.debezium.time.ZonedTimestamp":
        return v -> instant((String) v);
      case "io.debezium.time.ZonedTime":
        return v -> offsetTime((String) v);
      case "io.debezium.data.VariableScaleDecimal":
        return v -> variableScaleDecimal((Struct) v);
      case "org.apache.kafka.connect.data.Decimal":
        return v -> (BigDecimal) v;
      case "org.apache.kafka.connect.data.Date":
        return v -> ((java.util.Date) v).toInstant().atOffset(ZoneOffset.UTC).toLocalDate();
      case "org.apache.kafka.connect.data.Time":
        return v -> ((java.util.Date) v).toInstant().atOffset(ZoneOffset.UTC).toLocalTime();
      case "org.apache.kafka.connect.data.Timestamp":
        return v -> LocalDateTime.ofInstant(((java.util.Date) v).toInstant(), ZoneOffset.UTC);
      default:
        return null;
    }
  }

  private static Object microsTime(long micros) {
    // PostgreSQL's time allows 24:00:00, which LocalTime does not: keep the number then.
    return micros >= 0 && micros < 86_400_000_000L
        ? LocalTime.ofNanoOfDay(micros * 1_000L)
        : micros;
  }

  /**
   * {@code value * unitMicros} micros since the epoch, as UTC wall time; ±infinity stays a Long.
   */
  private static Object localDateTime(long value, long unitMicros) {
    try {
      long micros = Math.multiplyExact(value, unitMicros);
      long seconds = Math.floorDiv(micros, 1_000_000L);
      int nanos = (int) Math.floorMod(micros, 1_000_000L) * 1_000;
      LocalDateTime time = LocalDateTime.ofEpochSecond(seconds, nanos, ZoneOffset.UTC);
      // The driver turns 'infinity' and '-infinity' into these dates; say what they are instead,
      // as for timestamptz.
      if (time.equals(POSITIVE_INFINITY)) {
        return "infinity";
      }
      if (time.equals(NEGATIVE_INFINITY)) {
        return "-infinity";
      }
      return time;
    } catch (ArithmeticException | DateTimeException e) {
      return value;
    }
  }

  /**
   * What 'infinity' arrives as: pgjdbc's PGStatement.DATE_POSITIVE_INFINITY, taken by Debezium as
   * micros since the epoch.
   */
  private static final LocalDateTime POSITIVE_INFINITY = utcMicros(9223372036825200000L);

  /** What '-infinity' arrives as: pgjdbc's PGStatement.DATE_NEGATIVE_INFINITY, as micros. */
  private static final LocalDateTime NEGATIVE_INFINITY = utcMicros(-9223372036832400000L);

  private static LocalDateTime utcMicros(long micros) {
    return LocalDateTime.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L),
        (int) Math.floorMod(micros, 1_000_000L) * 1_000,
        ZoneOffset.UTC);
  }

  private static Object nanosTimestamp(long nanos) {
    try {
      return LocalDateTime.ofEpochSecond(
          Math.floorDiv(nanos, 1_000_000_000L),
          (int) Math.floorMod(nanos, 1_000_000_000L),
          ZoneOffset.UTC);
    } catch (DateTimeException e) {
      return nanos;
    }
  }

  /** timestamptz arrives as ISO text in UTC; 'infinity' and the like stay text. */
  private static Object instant(String text) {
    Instant fast = utcInstant(text);
    if (fast != null) {
      return fast;
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e2) {
        return text;
      }
    }
  }

  /**
   * Parses Debezium's usual form {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z} directly: the general {@code
   * OffsetDateTime.parse} costs microseconds per value, more than the rest of a row. Returns null
   * for any other form, which then takes the general path.
   */
  static Instant utcInstant(String s) {
    int n = s.length();
    if (n < 20
        || s.charAt(n - 1) != 'Z'
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || s.charAt(10) != 'T'
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 7);
    int day = digits(s, 8, 10);
    int hour = digits(s, 11, 13);
    int minute = digits(s, 14, 16);
    int second = digits(s, 17, 19);
    int nanos = 0;
    if (n > 20) {
      if (s.charAt(19) != '.' || n - 21 > 9 || n - 21 < 1) {
        return null;
      }
      int fraction = digits(s, 20, n - 1);
      if (fraction < 0) {
        return null;
      }
      nanos = fraction;
      for (int i = n - 21; i < 9; i++) {
        nanos *= 10;
      }
    }
    if ((year | month | day | hour | minute | second) < 0
        || month < 1
        || month > 12
        || day < 1
        || day > 31
        || hour > 23
        || minute > 59
        || second > 59) {
      return null;
    }
    try {
      long epochDay = LocalDate.of(year, month, day).toEpochDay();
      return Instant.ofEpochSecond(
          epochDay * 86_400L + hour * 3_600L + minute * 60L + second, nanos);
    } catch (DateTimeException e) {
      return null; // e.g. 2023-02-30
    }
  }

  /** The decimal number in {@code s[from, to)}, or -1 when it is not all digits. */
  private static int digits(String s, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      int d = s.charAt(i) - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      value = value * 10 + d;
    }
    return value;
  }

  private static Object offsetTime(String text) {
    try {
      return OffsetTime.parse(text);
    } catch (DateTimeParseException e) {
      return text;
    }
  }

  private static BigDecimal variableScaleDecimal(Struct struct) {
    int scale = struct.getInt32("scale");
    byte[] unscaled = bytes(struct.get("value"));
    return new BigDecimal(new BigInteger(unscaled), scale);
  }

  private static byte[] bytes(Object value) {
    if (value instanceof byte[] array) {
      return array;
    }
    ByteBuffer buffer = ((ByteBuffer) value).duplicate();
    byte[] array = new byte[buffer.remaining()];
    buffer.get(array);
    return array;
  }

  private static Map<String, Object> nested(Struct struct) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Field f : struct.schema().fields()) {
      out.put(f.name(), convert(f.schema(), struct.get(f)));
    }
    return Collections.unmodifiableMap(out);
  }
}
