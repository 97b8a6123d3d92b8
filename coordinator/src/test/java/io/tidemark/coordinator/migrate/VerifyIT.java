package io.tidemark.coordinator.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.coordinator.Coordinator;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tidemark verify} against real stores fed by a running coordinator. */
class VerifyIT {

  @TempDir Path stateDir;

  @Test
  void reportsZeroDifferencesWhileWritersRunAndFindsPlantedOnes() throws Exception {
    try (Deployment d = new Deployment(stateDir)) {
      d.stores.put("search", d.elasticsearch(""));
      d.stores.put("readdb", d.postgres(""));
      d.stores.put("cache", d.redis());
      d.projections.put("search", "{fields: {id: id, title: title, price_cents: price}}");
      d.projections.put("readdb", "{}");
      d.projections.put("cache", "{}");
      d.fill(3_000);
      Path config = d.configFile();
      try (Coordinator main = Coordinator.start(d.config())) {
        Deployment.await(() -> !main.frontier().isEmpty(), Duration.ofSeconds(90), "a frontier");

        // Writers keep changing rows while verify compares: the keys they touch are compared
        // again in later rounds, and every comparison made is exact.
        Deployment.Run clean;
        try (Deployment.Writer writer = d.new Writer(3_000, 50, 11)) {
          clean =
              Deployment.run(new VerifyCommand(), "--config", config.toString(), "--rounds", "20");
          assertThat(writer.commits.get()).isPositive();
        }
        System.out.println("verify under writers:\n" + clean.out());
        assertThat(clean.exit()).as(clean.out() + clean.err()).isZero();
        assertThat(clean.out())
            .contains("zero differences")
            .contains("in search: ")
            .contains("in readdb: ")
            .contains("in cache: ");
        assertThat(clean.out().lines().filter(l -> l.contains(" keys compared, ")))
            .hasSize(3)
            .allSatisfy(l -> assertThat(l).contains("0 missing, 0 extra, 0 different"));

        // Plant two differences in the read database: a changed value and a row the source lacks.
        String readTable = "mread_" + d.suffix + ".tm_" + d.collection;
        long changed;
        try (Connection c = d.connect();
            Statement s = c.createStatement()) {
          try (ResultSet rs = s.executeQuery("SELECT min(id) FROM " + d.table)) {
            rs.next();
            changed = rs.getLong(1);
          }
          assertThat(
                  s.executeUpdate(
                      "UPDATE "
                          + readTable
                          + " SET doc = jsonb_set(doc, '{title}', '\"planted\"') WHERE key = '"
                          + changed
                          + "' AND _tm_to = 'FFFFFFFF/FFFFFFFF'"))
              .isEqualTo(1);
          s.executeUpdate(
              "INSERT INTO "
                  + readTable
                  + " (key, _tm_from, doc) VALUES ('9999999', '0/1',"
                  + " '{\"id\": 9999999, \"title\": \"ghost\"}')");
        }
        Deployment.Run dirty = Deployment.run(new VerifyCommand(), "--config", config.toString());
        System.out.println("verify with planted differences:\n" + dirty.out());
        assertThat(dirty.exit()).as(dirty.out() + dirty.err()).isEqualTo(1);
        assertThat(dirty.out())
            .contains("2 differences")
            .contains("readdb " + d.collection + "/" + changed + ": different")
            .contains("planted")
            .contains("readdb " + d.collection + "/9999999: extra")
            .contains("ghost");
        assertThat(dirty.out().lines().filter(l -> l.contains(" in search: ")))
            .singleElement()
            .satisfies(l -> assertThat(l).contains("0 missing, 0 extra, 0 different"));
        assertThat(dirty.out().lines().filter(l -> l.contains(" in readdb: ")))
            .singleElement()
            .satisfies(l -> assertThat(l).contains("0 missing, 1 extra, 1 different"));
      }
    }
  }
}
