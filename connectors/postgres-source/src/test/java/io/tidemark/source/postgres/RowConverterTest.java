package io.tidemark.source.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

class RowConverterTest {
  static Schema named(Schema.Type type, String name) {
    return SchemaBuilder.type(type).name(name).optional().build();
  }

  @Test
  void debeziumTimeEncodingsBecomeJavaTime() {
    Schema schema =
        SchemaBuilder.struct()
            .field("d", named(Schema.Type.INT32, "io.debezium.time.Date"))
            .field("t", named(Schema.Type.INT64, "io.debezium.time.MicroTime"))
            .field("ts", named(Schema.Type.INT64, "io.debezium.time.MicroTimestamp"))
            .field("tsm", named(Schema.Type.INT64, "io.debezium.time.Timestamp"))
            .field("tz", named(Schema.Type.STRING, "io.debezium.time.ZonedTimestamp"))
            .field("ttz", named(Schema.Type.STRING, "io.debezium.time.ZonedTime"))
            .field("inf", named(Schema.Type.STRING, "io.debezium.time.ZonedTimestamp"))
            .build();
    Struct s =
        new Struct(schema)
            .put("d", 20779)
            .put("t", 3_723_000_004L)
            .put("ts", 1_795_345_015_282_561L)
            .put("tsm", -1L)
            .put("tz", "2026-11-22T10:46:11.911625Z")
            .put("ttz", "10:15:30+02:00")
            .put("inf", "infinity");

    Map<String, Object> row = new RowConverter().row(s);

    assertThat(row.get("d")).isEqualTo(LocalDate.ofEpochDay(20779));
    assertThat(row.get("t")).isEqualTo(LocalTime.of(1, 2, 3, 4_000));
    assertThat(row.get("ts"))
        .isEqualTo(LocalDateTime.ofEpochSecond(1_795_345_015L, 282_561_000, ZoneOffset.UTC));
    assertThat(row.get("tsm")).isEqualTo(LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_000_000));
    assertThat(row.get("tz")).isEqualTo(Instant.parse("2026-11-22T10:46:11.911625Z"));
    assertThat(row.get("ttz")).isEqualTo(OffsetTime.of(10, 15, 30, 0, ZoneOffset.ofHours(2)));
    assertThat(row.get("inf")).isEqualTo("infinity");
    assertThat(row.keySet()).containsExactly("d", "t", "ts", "tsm", "tz", "ttz", "inf");
  }

  @Test
  void theFastTimestamptzParserAgreesWithTheGeneralOne() {
    for (String text :
        List.of(
            "2026-11-22T10:46:11Z",
            "2026-11-22T10:46:11.9Z",
            "2026-11-22T10:46:11.911625Z",
            "1970-01-01T00:00:00.000000001Z",
            "1900-02-28T23:59:59.5Z",
            "2024-02-29T00:00:00Z")) {
      assertThat(RowConverter.utcInstant(text)).as(text).isEqualTo(Instant.parse(text));
    }
    for (String text :
        List.of(
            "2023-02-30T00:00:00Z",
            "2026-11-22T10:46:11+02:00",
            "infinity",
            "12026-11-22T10:46:11Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:46:11.Z",
            "2026-11-22T10:46:11.1234567890Z")) {
      assertThat(RowConverter.utcInstant(text)).as(text).isNull();
    }
  }

  @Test
  void numbersBytesAndArraysBecomePlainValues() {
    Schema variable =
        SchemaBuilder.struct()
            .name("io.debezium.data.VariableScaleDecimal")
            .optional()
            .field("scale", Schema.INT32_SCHEMA)
            .field("value", Schema.BYTES_SCHEMA)
            .build();
    Schema schema =
        SchemaBuilder.struct()
            .field("small", Schema.OPTIONAL_INT16_SCHEMA)
            .field("real", Schema.OPTIONAL_FLOAT32_SCHEMA)
            .field("price", Decimal.builder(2).optional().build())
            .field("any", variable)
            .field("blob", Schema.OPTIONAL_BYTES_SCHEMA)
            .field("tags", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional().build())
            .field("missing", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
    Struct s =
        new Struct(schema)
            .put("small", (short) 7)
            .put("real", 1.1f)
            .put("price", new BigDecimal("12.50"))
            .put(
                "any",
                new Struct(variable)
                    .put("scale", 3)
                    .put("value", BigInteger.valueOf(-12345).toByteArray()))
            .put("blob", ByteBuffer.wrap(new byte[] {1, 2, 3}))
            .put("tags", List.of("a", "b"));

    Map<String, Object> row = new RowConverter().row(s);

    assertThat(row.get("small")).isEqualTo(7);
    assertThat(row.get("real")).isEqualTo(1.1d);
    assertThat(row.get("price")).isEqualTo(new BigDecimal("12.50"));
    assertThat(row.get("any")).isEqualTo(new BigDecimal("-12.345"));
    assertThat((byte[]) row.get("blob")).containsExactly(1, 2, 3);
    assertThat(row.get("tags")).isEqualTo(List.of("a", "b"));
    assertThat(row).containsEntry("missing", null);
  }
}
