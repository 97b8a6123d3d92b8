package io.tidemark.coordinator;

import io.tidemark.coordinator.TidemarkConfig.Collection;
import io.tidemark.coordinator.TidemarkConfig.Epochs;
import io.tidemark.coordinator.TidemarkConfig.Lanes;
import io.tidemark.coordinator.TidemarkConfig.ProjectionSpec;
import io.tidemark.coordinator.TidemarkConfig.Sidecar;
import io.tidemark.coordinator.TidemarkConfig.SnapshotMode;
import io.tidemark.coordinator.TidemarkConfig.Source;
import io.tidemark.coordinator.TidemarkConfig.Store;
import io.tidemark.coordinator.TidemarkConfig.StoreKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads a Tidemark YAML file into a validated {@link TidemarkConfig}. Every problem is collected
 * and reported at once, each naming the key, the value and what would be valid; nothing is
 * "corrected". {@code ${NAME}} and {@code ${NAME:-default}} are replaced from the environment.
 */
public final class ConfigLoader {

  private static final Pattern ENV =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
  private static final Pattern TABLE =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*\\.[A-Za-z_][A-Za-z0-9_$]*");

  /** The settings each store kind accepts, and which are required. */
  private static final Map<StoreKind, Map<String, Boolean>> STORE_SETTINGS =
      Map.of(
          StoreKind.ELASTICSEARCH, Map.of("url", true, "indexPrefix", false),
          StoreKind.REDIS, Map.of("address", true),
          StoreKind.MEMCACHED, Map.of("address", true),
          StoreKind.POSTGRES, Map.of("jdbcUrl", true, "user", true, "schema", false));

  private final Function<String, String> environment;
  private final List<String> problems = new ArrayList<>();

  private ConfigLoader(Function<String, String> environment) {
    this.environment = environment;
  }

  /** Reads and validates a file, substituting from the process environment. */
  public static TidemarkConfig load(Path file) {
    return load(file, System::getenv);
  }

  static TidemarkConfig load(Path file, Function<String, String> environment) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), List.of("cannot read the file: " + e));
    }
    return parse(text, file.toString(), environment);
  }

  static TidemarkConfig parse(String yaml, String origin, Function<String, String> environment) {
    ConfigLoader loader = new ConfigLoader(environment);
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    } catch (RuntimeException e) {
      throw new ConfigException(origin, List.of("not valid YAML: " + e.getMessage()));
    }
    if (!(root instanceof Map)) {
      throw new ConfigException(
          origin, List.of("the file must be a YAML mapping with source, stores and collections"));
    }
    TidemarkConfig config = loader.config(loader.new Node("", root));
    if (!loader.problems.isEmpty()) {
      throw new ConfigException(origin, loader.problems);
    }
    return config;
  }

  private TidemarkConfig config(Node root) {
    root.only(
        "source", "stores", "collections", "epochs", "lanes", "retention", "stateDir", "sidecar");
    Source source = source(root.child("source", true));
    Map<String, Store> stores = new LinkedHashMap<>();
    Node storesNode = root.child("stores", true);
    for (String name : storesNode.keys()) {
      checkName("stores." + name, name);
      stores.put(name, store(name, storesNode.child(name, true)));
    }
    if (storesNode.exists() && stores.isEmpty()) {
      problem("stores: name at least one store (kinds: " + kinds() + ")");
    }
    Map<String, Collection> collections = new LinkedHashMap<>();
    Node collectionsNode = root.child("collections", true);
    for (String name : collectionsNode.keys()) {
      checkName("collections." + name, name);
      collections.put(name, collection(name, collectionsNode.child(name, true), stores));
    }
    if (collectionsNode.exists() && collections.isEmpty()) {
      problem("collections: name at least one collection");
    }
    Node epochs = root.child("epochs", false);
    epochs.only("maxDuration", "maxChanges");
    Node lanes = root.child("lanes", false);
    lanes.only("queueEpochs", "retryInitial", "retryMax", "visibilityInterval", "detachAfter");
    Duration retryInitial = duration(lanes, "retryInitial", Duration.ofMillis(100));
    Duration retryMax = duration(lanes, "retryMax", Duration.ofSeconds(10));
    if (retryMax.compareTo(retryInitial) < 0) {
      problem(
          "lanes.retryMax: '" + retryMax + "' is below lanes.retryInitial '" + retryInitial + "'");
    }
    Node sidecar = root.child("sidecar", false);
    sidecar.only("host", "port", "token");
    return new TidemarkConfig(
        source,
        stores,
        collections,
        new Epochs(
            duration(epochs, "maxDuration", Duration.ofMillis(20)),
            integer(epochs, "maxChanges", 5000, 1, 1_000_000)),
        new Lanes(
            integer(lanes, "queueEpochs", 1024, 1, 1_000_000),
            retryInitial,
            retryMax,
            duration(lanes, "visibilityInterval", Duration.ofMillis(20)),
            optionalDuration(lanes, "detachAfter")),
        duration(root, "retention", Duration.ofMinutes(5)),
        Path.of(string(root, "stateDir", false, "./tidemark-state")),
        new Sidecar(
            string(sidecar, "host", false, "127.0.0.1"),
            integer(sidecar, "port", 7070, 0, 65535),
            new Secret(string(sidecar, "token", false, ""))));
  }

  private Source source(Node node) {
    node.only(
        "name",
        "jdbcUrl",
        "user",
        "password",
        "slot",
        "publication",
        "heartbeat",
        "snapshot",
        "dropSlotOnStop",
        "replicaIdentity");
    String identity = string(node, "replicaIdentity", false, "set-full");
    if (!identity.equals("set-full") && !identity.equals("require-full")) {
      problem("source.replicaIdentity: '" + identity + "' is not one of [set-full, require-full]");
    }
    String name = string(node, "name", true, null);
    if (name != null) {
      checkName("source.name", name);
    }
    String jdbcUrl = string(node, "jdbcUrl", true, null);
    if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:postgresql://")) {
      problem("source.jdbcUrl: '" + jdbcUrl + "' must start with jdbc:postgresql://");
    }
    String slotDefault = "tidemark_" + (name == null ? "source" : name.replace('-', '_'));
    String snapshot = string(node, "snapshot", false, "initial");
    SnapshotMode mode =
        enumValue("source.snapshot", snapshot, SnapshotMode.class, SnapshotMode.INITIAL);
    String slot = string(node, "slot", false, slotDefault);
    if (!slot.matches("[a-z0-9_]{1,63}")) {
      problem(
          "source.slot: '"
              + slot
              + "' must be 1-63 characters of a-z, 0-9 and _ (a PostgreSQL slot name)");
    }
    return new Source(
        name,
        jdbcUrl,
        string(node, "user", true, null),
        new Secret(string(node, "password", false, "")),
        slot,
        string(node, "publication", false, slot),
        duration(node, "heartbeat", Duration.ofMillis(100)),
        mode,
        bool(node, "dropSlotOnStop", false),
        !identity.equals("require-full"));
  }

  private Store store(String name, Node node) {
    String kindText = string(node, "kind", true, null);
    StoreKind kind =
        kindText == null
            ? null
            : enumValue("stores." + name + ".kind", kindText, StoreKind.class, null);
    Map<String, String> settings = new LinkedHashMap<>();
    if (kind != null) {
      Map<String, Boolean> allowed = STORE_SETTINGS.get(kind);
      List<String> keys = new ArrayList<>(allowed.keySet());
      keys.add("kind");
      keys.add("lag");
      keys.add("migration");
      if (kind == StoreKind.POSTGRES) {
        keys.add("password");
      }
      node.only(keys.toArray(String[]::new));
      allowed.forEach(
          (key, required) -> {
            String value = string(node, key, required, null);
            if (value != null) {
              settings.put(key, value);
            }
          });
    }
    String migration = string(node, "migration", false, "none");
    return new Store(
        name,
        kind,
        settings,
        new Secret(string(node, "password", false, "")),
        duration(node, "lag", Duration.ZERO),
        enumValue(
            "stores." + name + ".migration",
            migration,
            TidemarkConfig.Migration.class,
            TidemarkConfig.Migration.NONE));
  }

  private Collection collection(String name, Node node, Map<String, Store> configured) {
    Set<String> storeNames = configured.keySet();
    node.only("table", "stores");
    String table = string(node, "table", true, null);
    if (table != null && !TABLE.matcher(table).matches()) {
      problem(
          "collections."
              + name
              + ".table: '"
              + table
              + "' must be schema.table, e.g. public."
              + name);
    }
    Map<String, ProjectionSpec> stores = new LinkedHashMap<>();
    Node storesNode = node.child("stores", true);
    for (String store : storesNode.keys()) {
      String path = "collections." + name + ".stores." + store;
      if (!storeNames.contains(store)) {
        problem(
            path + ": unknown store '" + store + "'; stores defined: " + new TreeSet<>(storeNames));
        continue;
      }
      Node spec = storesNode.child(store, false);
      spec.only("fields", "class");
      Map<String, String> fields = new LinkedHashMap<>();
      Node fieldsNode = spec.child("fields", false);
      for (String column : fieldsNode.keys()) {
        Object value = fieldsNode.raw(column);
        if (!(value instanceof String) || ((String) value).isBlank()) {
          problem(
              path
                  + ".fields."
                  + column
                  + ": '"
                  + value
                  + "' must be the document field name (text)");
        } else {
          fields.put(column, (String) value);
        }
      }
      String className = string(spec, "class", false, null);
      if (className != null && !fields.isEmpty()) {
        problem(path + ": give either fields or class, not both");
      }
      stores.put(store, new ProjectionSpec(fields, className));
    }
    if (storesNode.exists() && stores.isEmpty() && storesNode.keys().isEmpty()) {
      problem(
          "collections."
              + name
              + ".stores: name at least one store of "
              + new TreeSet<>(storeNames));
    }
    boolean authoritative =
        stores.keySet().stream()
            .map(configured::get)
            .anyMatch(s -> s.kind() == StoreKind.POSTGRES || s.kind() == StoreKind.ELASTICSEARCH);
    if (!stores.isEmpty() && !authoritative) {
      problem(
          "collections."
              + name
              + ".stores: "
              + new TreeSet<>(stores.keySet())
              + " are all caches; name a read database (postgres) or a search index"
              + " (elasticsearch) too: a cache miss is read there");
    }
    return new Collection(name, table, stores);
  }

  // ---- values -------------------------------------------------------------------------------

  private String string(Node node, String key, boolean required, String fallback) {
    Object value = node.raw(key);
    if (value == null) {
      if (required && node.exists()) {
        problem(node.path(key) + ": missing; it is required");
      } else if (required) {
        return null;
      }
      return fallback;
    }
    if (value instanceof Map || value instanceof List) {
      problem(node.path(key) + ": expected a single value, got " + describe(value));
      return fallback;
    }
    return substitute(node.path(key), String.valueOf(value));
  }

  private String substitute(String path, String text) {
    Matcher m = ENV.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = environment.apply(m.group(1));
      if (value == null) {
        value = m.group(2);
      }
      if (value == null) {
        problem(
            path
                + ": environment variable "
                + m.group(1)
                + " is not set (or give a default: ${"
                + m.group(1)
                + ":-value})");
        value = "";
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  private Duration duration(Node node, String key, Duration fallback) {
    Duration d = optionalDuration(node, key);
    return d == null ? fallback : d;
  }

  private Duration optionalDuration(Node node, String key) {
    String text = string(node, key, false, null);
    if (text == null || text.equals("off")) {
      return null;
    }
    Duration d = Durations.parse(text).orElse(null);
    if (d == null || d.isZero()) {
      problem(
          node.path(key)
              + ": '"
              + text
              + "' is not a duration; use a positive "
              + Durations.EXPECTED);
      return null;
    }
    return d;
  }

  private int integer(Node node, String key, int fallback, int min, int max) {
    String text = string(node, key, false, null);
    if (text == null) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(text.trim());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    problem(node.path(key) + ": '" + text + "' must be a whole number from " + min + " to " + max);
    return fallback;
  }

  private boolean bool(Node node, String key, boolean fallback) {
    String text = string(node, key, false, null);
    if (text == null) {
      return fallback;
    }
    if (!text.equals("true") && !text.equals("false")) {
      problem(node.path(key) + ": '" + text + "' must be true or false");
      return fallback;
    }
    return Boolean.parseBoolean(text);
  }

  private <E extends Enum<E>> E enumValue(String path, String text, Class<E> type, E fallback) {
    try {
      return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> valid = new ArrayList<>();
      for (E constant : type.getEnumConstants()) {
        valid.add(constant.name().toLowerCase(Locale.ROOT));
      }
      problem(path + ": '" + text + "' is not one of " + valid);
      return fallback;
    }
  }

  private void checkName(String path, String name) {
    if (!NAME.matcher(name).matches()) {
      problem(
          path
              + ": '"
              + name
              + "' must be 1-63 characters of a-z, 0-9, _ and -, starting with a letter");
    }
  }

  private static String kinds() {
    List<String> kinds = new ArrayList<>();
    for (StoreKind k : StoreKind.values()) {
      kinds.add(k.name().toLowerCase(Locale.ROOT));
    }
    return String.join(", ", kinds);
  }

  private static String describe(Object value) {
    return value instanceof Map
        ? "a mapping"
        : value instanceof List ? "a list" : "'" + value + "'";
  }

  private void problem(String text) {
    problems.add(text);
  }

  /** A mapping in the YAML tree, with its path for messages. */
  private final class Node {
    private final String path;
    private final Map<?, ?> map;
    private final boolean exists;

    Node(String path, Object value) {
      this.path = path;
      this.exists = value != null;
      if (value == null) {
        this.map = Map.of();
      } else if (value instanceof Map) {
        this.map = (Map<?, ?>) value;
      } else {
        this.map = Map.of();
        problem(
            (path.isEmpty() ? "(top level)" : path)
                + ": expected a mapping, got "
                + describe(value));
      }
    }

    boolean exists() {
      return exists;
    }

    String path(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    Object raw(String key) {
      return map.get(key);
    }

    Node child(String key, boolean required) {
      Object value = map.get(key);
      if (value == null && required && exists) {
        problem(path(key) + ": missing; it is required");
      }
      return new Node(path(key), value);
    }

    List<String> keys() {
      List<String> keys = new ArrayList<>();
      map.keySet().forEach(k -> keys.add(String.valueOf(k)));
      return keys;
    }

    void only(String... allowed) {
      Set<String> valid = new TreeSet<>(List.of(allowed));
      for (Object key : map.keySet()) {
        if (!valid.contains(String.valueOf(key))) {
          problem(path(String.valueOf(key)) + ": unknown key; valid keys here: " + valid);
        }
      }
    }
  }
}
