package io.tidemark.coordinator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A whole deployment's configuration, read from one YAML file by {@link ConfigLoader} and validated
 * before anything starts. Immutable.
 */
public record TidemarkConfig(
    Source source,
    Map<String, Store> stores,
    Map<String, Collection> collections,
    Epochs epochs,
    Lanes lanes,
    Duration retention,
    Path stateDir,
    Sidecar sidecar) {

  public TidemarkConfig {
    stores = Map.copyOf(stores);
    collections = Map.copyOf(collections);
  }

  /** The PostgreSQL source captured with Debezium. */
  public record Source(
      String name,
      String jdbcUrl,
      String user,
      Secret password,
      String slot,
      String publication,
      Duration heartbeat,
      SnapshotMode snapshot,
      boolean dropSlotOnStop,
      boolean setReplicaIdentityFull) {}

  /** Whether existing rows are copied into the stores on first start. */
  public enum SnapshotMode {
    /** Emit every existing row at one version, then stream. */
    INITIAL,
    /** Stream changes from now on only. */
    NONE
  }

  /** The kinds of store Tidemark writes. */
  public enum StoreKind {
    ELASTICSEARCH,
    REDIS,
    MEMCACHED,
    POSTGRES
  }

  /**
   * One target store, named by the deployment (e.g. {@code search}).
   *
   * @param settings the kind's own settings, already validated (see {@link ConfigLoader})
   */
  /**
   * @param lag an artificial delay for demonstrations and tests: the store's lane applies each
   *     epoch no earlier than this long after it was committed (zero: no delay)
   * @param migration where the store stands in a migration ({@code tidemark migrate}, see
   *     docs/migration.md)
   */
  public record Store(
      String name,
      StoreKind kind,
      Map<String, String> settings,
      Secret password,
      Duration lag,
      Migration migration) {
    public Store {
      settings = Map.copyOf(settings);
      migration = migration == null ? Migration.NONE : migration;
    }

    /** A store that takes part in no migration. */
    public Store(
        String name, StoreKind kind, Map<String, String> settings, Secret password, Duration lag) {
      this(name, kind, settings, password, lag, Migration.NONE);
    }

    public String setting(String key) {
      return settings.get(key);
    }
  }

  /**
   * A store's part in a migration (key {@code migration} of a store; docs/migration.md). Readers
   * (sidecar, client configuration) never read a store that has one.
   */
  public enum Migration {
    /** An ordinary store: written by the coordinator, part of the frontier, read by readers. */
    NONE,
    /**
     * Being built by {@code tidemark migrate backfill}: the coordinator does not write it, and
     * acknowledges the source only up to its watermark, so that attaching it later replays every
     * change it lacks.
     */
    PENDING,
    /**
     * Backfilled and fed by the coordinator like any store (part of the frontier), but not read
     * until {@code tidemark migrate switch} moves readers to it.
     */
    ATTACHED
  }

  /**
   * A collection: one captured table and the stores it is copied into, each with a projection.
   *
   * @param table schema-qualified table, e.g. {@code public.ads}
   * @param stores store name → projection
   */
  public record Collection(String name, String table, Map<String, ProjectionSpec> stores) {
    public Collection {
      stores = Map.copyOf(stores);
    }
  }

  /**
   * How a row becomes a store's document: every column ({@code fields} empty), or the listed
   * columns renamed (column → field), or a Java class implementing {@code
   * io.tidemark.protocol.Projection} with a public no-argument constructor.
   */
  public record ProjectionSpec(Map<String, String> fields, String className) {
    public ProjectionSpec {
      fields = Map.copyOf(fields);
    }

    static ProjectionSpec allColumns() {
      return new ProjectionSpec(Map.of(), null);
    }
  }

  /** Epoch limits: an epoch closes at whichever comes first. */
  public record Epochs(Duration maxDuration, int maxChanges) {}

  /** Lane behaviour. */
  public record Lanes(
      int queueEpochs,
      Duration retryInitial,
      Duration retryMax,
      Duration visibilityInterval,
      Duration detachAfter) {}

  /** The HTTP sidecar. */
  public record Sidecar(String host, int port, Secret token) {}

  /** Collections in the given store, with their projection specs. */
  public Map<String, ProjectionSpec> collectionsIn(String store) {
    java.util.Map<String, ProjectionSpec> in = new java.util.TreeMap<>();
    collections.forEach(
        (name, c) -> {
          ProjectionSpec spec = c.stores().get(store);
          if (spec != null) {
            in.put(name, spec);
          }
        });
    return in;
  }

  /** Captured tables, in collection-name order. */
  public List<String> tables() {
    return collections.values().stream()
        .sorted(java.util.Comparator.comparing(Collection::name))
        .map(Collection::table)
        .toList();
  }
}
