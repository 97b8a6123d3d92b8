package io.tidemark.coordinator.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands refuse what they must not do, before touching any store (exit 2). */
class MigrateCommandTest {

  @TempDir Path dir;

  private Path config(String searchMigration, String search2Migration) throws Exception {
    Path file = dir.resolve("tidemark.yaml");
    Files.writeString(
        file,
        """
        source: {name: listings, jdbcUrl: "jdbc:postgresql://127.0.0.1:1/app", user: u}
        stores:
          search:  {kind: elasticsearch, url: "http://127.0.0.1:1", indexPrefix: "tm-"%s}
          search2: {kind: elasticsearch, url: "http://127.0.0.1:1", indexPrefix: "tm-"%s}
          readdb:  {kind: postgres, jdbcUrl: "jdbc:postgresql://127.0.0.1:1/read", user: u}
          cache:   {kind: redis, address: "127.0.0.1:1", migration: pending}
        collections:
          ads:
            table: public.ads
            stores: {search: {}, search2: {}, readdb: {}, cache: {}}
        stateDir: "%s"
        """
            .formatted(searchMigration, search2Migration, dir));
    return file;
  }

  @Test
  void theTidemarkCommandHasMigrateAndVerify() {
    Deployment.Run backfill =
        Deployment.run(
            new io.tidemark.coordinator.TidemarkCommand(), "migrate", "backfill", "--help");
    assertThat(backfill.exit()).isZero();
    assertThat(backfill.out()).contains("--store").contains("--rate").contains("--follow");
    Deployment.Run switchHelp =
        Deployment.run(
            new io.tidemark.coordinator.TidemarkCommand(), "migrate", "switch", "--help");
    assertThat(switchHelp.out()).contains("--from").contains("--to");
    Deployment.Run verify =
        Deployment.run(new io.tidemark.coordinator.TidemarkCommand(), "verify", "--help");
    assertThat(verify.exit()).isZero();
    assertThat(verify.out()).contains("--collection").contains("--store").contains("--rounds");
  }

  @Test
  void backfillRefusesAStoreThatIsNotPending() throws Exception {
    Deployment.Run run =
        Deployment.run(
            new MigrateCommand(),
            "backfill",
            "--config",
            config("", "").toString(),
            "--store",
            "readdb");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .contains("store 'readdb' is not pending (stores.readdb.migration is none)")
        .contains("mark it `migration: pending`");
  }

  @Test
  void backfillRefusesATargetStoredWhereAnotherStoreIs() throws Exception {
    Deployment.Run run =
        Deployment.run(
            new MigrateCommand(),
            "backfill",
            "--config",
            config("", ", migration: pending").toString(),
            "--store",
            "search2");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .contains("keeps its data where store 'search' does")
        .contains("prefix tm-");
  }

  @Test
  void backfillRefusesCachesAndUnknownStores() throws Exception {
    Path file = config("", "");
    Deployment.Run cache =
        Deployment.run(
            new MigrateCommand(), "backfill", "--config", file.toString(), "--store", "cache");
    assertThat(cache.exit()).isEqualTo(2);
    assertThat(cache.err()).contains("is a redis cache");
    Deployment.Run unknown =
        Deployment.run(
            new MigrateCommand(), "backfill", "--config", file.toString(), "--store", "nope");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err())
        .contains("unknown store 'nope'; stores: [cache, readdb, search, search2]");
  }

  @Test
  void switchRefusesATargetThatIsNotAttached() throws Exception {
    Deployment.Run run =
        Deployment.run(
            new MigrateCommand(),
            "switch",
            "--config",
            config("", ", migration: pending").toString(),
            "--from",
            "search",
            "--to",
            "search2");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("store 'search2' is pending").contains("attached");
  }

  @Test
  void switchRefusesWithoutARecordedBackfill() throws Exception {
    Deployment.Run run =
        Deployment.run(
            new MigrateCommand(),
            "switch",
            "--config",
            config("", ", migration: attached").toString(),
            "--from",
            "search",
            "--to",
            "search2");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("no backfill of 'search2' is recorded");
  }

  @Test
  void verifyRefusesAnUnknownCollection() throws Exception {
    Deployment.Run run =
        Deployment.run(
            new VerifyCommand(), "--config", config("", "").toString(), "--collection", "nope");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("unknown collection 'nope'; collections: [ads]");
  }
}
