package io.tidemark.connector.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SqlErrorsTest {

  private static SqlErrors.Kind kind(String state) {
    return SqlErrors.classify(new SQLException("x", state));
  }

  @Test
  void connectionTroubleShutdownsAndConflictsAreRetryable() {
    assertThat(kind("08006")).isEqualTo(SqlErrors.Kind.RETRYABLE);
    assertThat(kind("57P01")).isEqualTo(SqlErrors.Kind.RETRYABLE);
    assertThat(kind("40001")).isEqualTo(SqlErrors.Kind.RETRYABLE);
    assertThat(kind("53300")).isEqualTo(SqlErrors.Kind.RETRYABLE);
    assertThat(kind(null)).isEqualTo(SqlErrors.Kind.RETRYABLE);
  }

  @Test
  void rejectedValuesAreData() {
    assertThat(kind("22P05")).isEqualTo(SqlErrors.Kind.DATA);
    assertThat(kind("23505")).isEqualTo(SqlErrors.Kind.DATA);
  }

  @Test
  void authenticationAndPermissionArePermanent() {
    assertThat(kind("28P01")).isEqualTo(SqlErrors.Kind.PERMANENT);
    assertThat(kind("42501")).isEqualTo(SqlErrors.Kind.PERMANENT);
  }

  @Test
  void theStateIsFoundInTheCauseChain() {
    SQLException outer = new SQLException("outer", null, new SQLException("inner", "08001"));
    assertThat(SqlErrors.sqlState(outer)).isEqualTo("08001");
    assertThat(SqlErrors.describe(outer)).contains("outer").contains("08001");
  }
}
