package io.tidemark.coordinator.migrate;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.connector.elasticsearch.ElasticsearchStore;
import io.tidemark.connector.postgres.PostgresStore;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.coordinator.TidemarkConfig;
import io.tidemark.protocol.SnapshotToken;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.StoreWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tidemark migrate switch}: moves the readers of a collection from a store to the attached
 * store that was backfilled to replace it, in one atomic step on the store's side, at a moment when
 * both hold every readable snapshot exactly.
 *
 * <ul>
 *   <li>Elasticsearch: one {@code POST /_aliases} removes the old index and makes its name an alias
 *       of the new one ({@code remove_index} + {@code add}). Readers configured with the old store
 *       read the new index from then on.
 *   <li>PostgreSQL read database: in one transaction the old table is renamed ({@code
 *       <table>_replaced}) and a view of the new table takes its name.
 * </ul>
 *
 * Both refuse writes under the old name (an alias with {@code is_write_index: false}; a view whose
 * trigger raises an error): the old store's lane stops there and holds the frontier at a snapshot
 * both stores hold, until the coordinator is restarted without the old store. That is what keeps
 * the switch exact: a reader reads either store at a snapshot both have exactly, and never one the
 * new store lacks, because the switch is refused until the horizon is past the backfill's snapshot
 * version (a read below it would find the new store empty).
 */
final class ReaderSwitch {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TidemarkConfig main;
  private final String from;
  private final String to;
  private final List<String> collections;

  ReaderSwitch(TidemarkConfig main, String from, String to, List<String> collections) {
    this.main = main;
    this.from = from;
    this.to = to;
    this.collections = List.copyOf(collections);
  }

  /** Checks every condition, then switches; returns what it did, one line per collection. */
  List<String> run() throws SQLException, IOException, InterruptedException {
    TidemarkConfig.Store old = main.stores().get(from);
    TidemarkConfig.Store target = main.stores().get(to);
    if (old == null || target == null) {
      throw new IllegalArgumentException(
          "unknown store '"
              + (old == null ? from : to)
              + "'; stores: "
              + new java.util.TreeSet<>(main.stores().keySet()));
    }
    if (target.migration() != TidemarkConfig.Migration.ATTACHED) {
      throw new IllegalArgumentException(
          "store '"
              + to
              + "' is "
              + target.migration().name().toLowerCase(Locale.ROOT)
              + "; switch readers only to a store that is attached (stores."
              + to
              + ".migration: attached, coordinator restarted) after its backfill");
    }
    if (old.migration() != TidemarkConfig.Migration.NONE) {
      throw new IllegalArgumentException(
          "store '" + from + "' is itself in a migration; readers read only ordinary stores");
    }
    if (old.kind() != target.kind()) {
      throw new IllegalArgumentException(
          "stores '"
              + from
              + "' and '"
              + to
              + "' are of different kinds; readers switch between two search indices or two"
              + " read databases");
    }
    List<String> moving = new ArrayList<>();
    for (String collection : main.collectionsIn(to).keySet()) {
      if (main.collectionsIn(from).containsKey(collection)
          && (collections.isEmpty() || collections.contains(collection))) {
        moving.add(collection);
      }
    }
    if (moving.isEmpty()) {
      throw new IllegalArgumentException(
          "no collection is in both '"
              + from
              + "' and '"
              + to
              + "'"
              + (collections.isEmpty() ? "" : " among " + collections));
    }
    String source = main.source().name();
    Version snapshot =
        Backfiller.snapshotVersion(main, to)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "no backfill of '"
                            + to
                            + "' is recorded ("
                            + Backfiller.snapshotVersionFile(main, to)
                            + "); run tidemark migrate backfill --store "
                            + to
                            + " first"));
    Version horizon = persisted("horizon").get(source).orElse(null);
    if (horizon == null || horizon.isBefore(snapshot)) {
      throw new IllegalStateException(
          "the horizon "
              + (horizon == null ? "(none yet)" : horizon)
              + " is below the backfill's snapshot "
              + snapshot
              + ": tokens below "
              + snapshot
              + " may still be read, and '"
              + to
              + "' holds nothing before it. Try again once the retention ("
              + main.retention()
              + ") has passed since the backfill");
    }
    Version frontier = persisted("frontier").get(source).orElse(null);
    Version watermark;
    try (AutoCloseable connector = Stores.open(target)) {
      watermark = ((StoreWriter) connector).watermark().get(source).orElse(null);
    } catch (Exception e) {
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
    if (frontier == null || watermark == null || watermark.isBefore(frontier)) {
      throw new IllegalStateException(
          "store '"
              + to
              + "' has watermark "
              + watermark
              + ", below the frontier "
              + frontier
              + ": it is not attached to the running coordinator (set stores."
              + to
              + ".migration: attached and restart it)");
    }
    List<String> done = new ArrayList<>();
    for (String collection : moving) {
      done.add(
          old.kind() == TidemarkConfig.StoreKind.ELASTICSEARCH
              ? swapAlias(old, target, collection)
              : swapView(old, target, collection));
    }
    done.add(
        "next: remove store '"
            + from
            + "' from the configuration (or point it at the new location), drop `migration:` from"
            + " store '"
            + to
            + "', and restart the coordinator; until then the frontier waits at "
            + frontier
            + " or later");
    return done;
  }

  private Stamp persisted(String file) {
    Path path = main.stateDir().resolve(main.source().name()).resolve(file);
    try {
      if (!Files.exists(path)) {
        return Stamp.empty();
      }
      String text = Files.readString(path, StandardCharsets.UTF_8).trim();
      return text.isEmpty() ? Stamp.empty() : SnapshotToken.parse(text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  private String swapAlias(TidemarkConfig.Store old, TidemarkConfig.Store target, String collection)
      throws IOException, InterruptedException {
    String alias;
    String index;
    try (ElasticsearchStore oldStore = ElasticsearchStore.open(Stores.elasticsearch(old));
        ElasticsearchStore newStore = ElasticsearchStore.open(Stores.elasticsearch(target))) {
      alias = oldStore.indexName(collection);
      index = newStore.indexName(collection);
    }
    String url = old.setting("url").replaceAll("/+$", "");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> existing =
        http.send(
            HttpRequest.newBuilder(URI.create(url + "/_alias/" + alias)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    List<Map<String, Object>> actions = new ArrayList<>();
    if (existing.statusCode() == 200) {
      // A name that is an alias already (an earlier switch): move it.
      actions.add(Map.of("remove", Map.of("index", "*", "alias", alias)));
    } else {
      actions.add(Map.of("remove_index", Map.of("index", alias)));
    }
    actions.add(Map.of("add", Map.of("index", index, "alias", alias, "is_write_index", false)));
    String body = JSON.writeValueAsString(Map.of("actions", actions));
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url + "/_aliases"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "Elasticsearch refused the alias swap "
              + body
              + ": "
              + response.statusCode()
              + " "
              + response.body());
    }
    return collection + ": index name '" + alias + "' is now an alias of '" + index + "'";
  }

  private String swapView(TidemarkConfig.Store old, TidemarkConfig.Store target, String collection)
      throws SQLException {
    PostgresStoreConfig oldConfig = Stores.postgres(old);
    PostgresStoreConfig newConfig = Stores.postgres(target);
    String oldTable;
    String newTable;
    try (PostgresStore a = PostgresStore.open(oldConfig);
        PostgresStore b = PostgresStore.open(newConfig)) {
      oldTable = a.tableName(collection);
      newTable = b.tableName(collection);
    }
    String oldName = quote(oldConfig.schema()) + "." + quote(oldTable);
    String newName = quote(newConfig.schema()) + "." + quote(newTable);
    String replaced = (oldTable.length() > 50 ? oldTable.substring(0, 50) : oldTable) + "_replaced";
    String guard = quote(oldConfig.schema()) + "." + quote("tidemark_switched");
    try (Connection c =
            DriverManager.getConnection(
                oldConfig.jdbcUrl(), oldConfig.user(), oldConfig.password());
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      try {
        boolean isView;
        try (var rs =
            st.executeQuery(
                "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE n.nspname = "
                    + literal(oldConfig.schema())
                    + " AND c.relname = "
                    + literal(oldTable))) {
          isView = rs.next() && "v".equals(rs.getString(1));
        }
        if (isView) {
          st.execute("DROP VIEW " + oldName);
        } else {
          st.execute("LOCK TABLE " + oldName + " IN ACCESS EXCLUSIVE MODE");
          st.execute("DROP TABLE IF EXISTS " + quote(oldConfig.schema()) + "." + quote(replaced));
          st.execute("ALTER TABLE " + oldName + " RENAME TO " + quote(replaced));
        }
        st.execute(
            "CREATE OR REPLACE FUNCTION "
                + guard
                + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION"
                + " 'readers of %.% were switched to another store by tidemark migrate switch;"
                + " remove the old store from the configuration and restart the coordinator',"
                + " TG_TABLE_SCHEMA, TG_TABLE_NAME; END $$");
        st.execute(
            "CREATE VIEW " + oldName + " AS SELECT key, _tm_from, _tm_to, doc FROM " + newName);
        st.execute(
            "CREATE TRIGGER tidemark_switched INSTEAD OF INSERT OR UPDATE OR DELETE ON "
                + oldName
                + " FOR EACH ROW EXECUTE FUNCTION "
                + guard
                + "()");
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
    return collection
        + ": "
        + oldName
        + " is now a view of "
        + newName
        + (oldTable.equals(replaced) ? "" : "; the old table is kept as " + replaced);
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  private static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }
}
