package io.tidemark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.client.Document;
import io.tidemark.client.FrontierSource;
import io.tidemark.client.ReadFrom;
import io.tidemark.client.RemoteFrontierConfig;
import io.tidemark.client.Snapshot;
import io.tidemark.client.Tidemark;
import io.tidemark.client.TidemarkException;
import io.tidemark.connector.elasticsearch.ElasticsearchStoreConfig;
import io.tidemark.connector.memcached.MemcachedStoreConfig;
import io.tidemark.connector.postgres.PostgresStoreConfig;
import io.tidemark.connector.redis.RedisStoreConfig;
import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.StoreKind;
import io.tidemark.it.History.Answer;
import io.tidemark.it.History.Doc;
import io.tidemark.it.History.Key;
import io.tidemark.protocol.ConsistencyLevel;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Lookup;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fault campaign: a deployment of all four stores on devstack (the read database in a second
 * PostgreSQL instance, Redis behind a {@link DelayProxy}), the coordinator as a child process,
 * writers committing multi-row transactions on overlapping keys of two collections, readers reading
 * every store at snapshot, at-least and latest levels through the library and the sidecar, and a
 * fault injector. Everything is recorded in a {@link History}; at the end every store is compared
 * with the source and the {@link Checker} replays the history.
 */
final class Campaign implements AutoCloseable {

  /** The faults the campaign injects, one kind after the other, round and round. */
  enum Fault {
    COORDINATOR_KILLED,
    STORE_PAUSED,
    STORE_RESTARTED,
    REDIS_RESTARTED_EMPTY,
    MEMCACHED_FLUSHED,
    READDB_RESTARTED,
    SOURCE_RESTARTED,
    SLOW_STORE,
    DUPLICATED_DELIVERY
  }

  /** How long and how hard. */
  record Settings(
      Duration length, int writers, int libraryReaders, int sidecarReaders, int keys, long seed) {
    static Settings fromSystemProperties() {
      double minutes = Double.parseDouble(System.getProperty("campaign.minutes", "1.5"));
      return new Settings(
          Duration.ofMillis((long) (minutes * 60_000)),
          Integer.getInteger("campaign.writers", 3),
          Integer.getInteger("campaign.libraryReaders", 2),
          Integer.getInteger("campaign.sidecarReaders", 1),
          Integer.getInteger("campaign.keys", 120),
          Long.getLong("campaign.seed", System.nanoTime()));
    }
  }

  static final String SOURCE = "listings";
  static final List<String> COLLECTIONS = List.of("ads", "sellers");
  static final List<String> WORDS =
      List.of("red", "blue", "green", "bike", "car", "sofa", "lamp", "desk", "piano", "tent");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final System.Logger LOG = System.getLogger(Campaign.class.getName());

  final Settings settings;
  final History history = new History();
  final Map<Fault, AtomicLong> faults = new EnumMap<>(Fault.class);
  final List<String> faultLog = new CopyOnWriteArrayList<>();
  final List<String> findings = new CopyOnWriteArrayList<>();
  final Map<String, AtomicLong> unavailable = new ConcurrentHashMap<>();
  final AtomicLong writeRetries = new AtomicLong();
  final AtomicLong commitsInDoubt = new AtomicLong();
  final AtomicLong redeliveredBytes = new AtomicLong();

  private final Path folder;
  private final Devstack stack;
  private final Devstack readStack;
  private final DelayProxy slowRedis;
  private final CoordinatorProcess coordinator;
  private final int sidecarPort;
  private final URI sidecar;
  private final Tidemark viaCache;
  private final Tidemark viaMemo;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong txSeq = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private final List<Throwable> crashes = new CopyOnWriteArrayList<>();
  private volatile Version lastFrontier = Version.ZERO;

  Campaign(Settings settings, Path folder) throws Exception {
    this.settings = settings;
    this.folder = folder.toAbsolutePath();
    for (Fault f : Fault.values()) {
      faults.put(f, new AtomicLong());
    }
    Files.createDirectories(folder);
    stack = Devstack.start(StoreKind.values());
    readStack = Devstack.start(StoreKind.POSTGRES);
    try (Connection c = source();
        Statement s = c.createStatement()) {
      for (String collection : COLLECTIONS) {
        s.execute(
            "CREATE TABLE public."
                + collection
                + " (id bigint PRIMARY KEY, title text NOT NULL, price integer)");
      }
    }
    var readPg = readStack.postgres();
    try (Connection c =
            DriverManager.getConnection(readPg.jdbcUrl(), readPg.user(), readPg.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA readdb");
    }
    slowRedis = new DelayProxy(stack.redis().host(), stack.redis().port());
    try (ServerSocket free = new ServerSocket(0)) {
      sidecarPort = free.getLocalPort();
    }
    sidecar = URI.create("http://127.0.0.1:" + sidecarPort);
    Path config = folder.resolve("tidemark.yaml");
    Files.writeString(config, yaml());
    coordinator = new CoordinatorProcess(config, folder);
    coordinator.start();
    viaCache = client("cache");
    viaMemo = client("memo");
  }

  private String yaml() {
    var pg = stack.postgres();
    var readPg = readStack.postgres();
    return """
        source:
          name: %s
          jdbcUrl: "%s"
          user: %s
          password: "%s"
          slot: tm_campaign
        stores:
          search: {kind: elasticsearch, url: "%s", indexPrefix: "camp-"}
          cache: {kind: redis, address: "%s"}
          memo: {kind: memcached, address: "%s"}
          readdb: {kind: postgres, jdbcUrl: "%s", user: %s, password: "%s", schema: readdb}
        collections:
          ads:
            table: public.ads
            stores: {search: {}, cache: {}, memo: {}, readdb: {}}
          sellers:
            table: public.sellers
            stores: {search: {}, cache: {}, memo: {}, readdb: {}}
        epochs: {maxDuration: 20ms, maxChanges: 2000}
        lanes: {retryInitial: 50ms, retryMax: 1s, visibilityInterval: 20ms}
        retention: 30s
        stateDir: "%s"
        sidecar: {host: 127.0.0.1, port: %d}
        """
        .formatted(
            SOURCE,
            pg.jdbcUrl(),
            pg.user(),
            pg.password(),
            stack.elasticsearch().httpUrl(),
            slowRedis.address(),
            stack.memcached().address(),
            readPg.jdbcUrl(),
            readPg.user(),
            readPg.password(),
            folder.resolve("state"),
            sidecarPort);
  }

  /** A library client whose collections have one cache: {@code cache} (Redis) or {@code memo}. */
  private Tidemark client(String cache) {
    var readPg = readStack.postgres();
    Tidemark.Builder b =
        Tidemark.builder()
            .frontier(FrontierSource.remote(RemoteFrontierConfig.of(sidecar)))
            .source(SOURCE)
            .store(
                ElasticsearchStoreConfig.of(stack.elasticsearch().httpUrl())
                    .withIndexPrefix("camp-")
                    .withStoreName("search"))
            .store(
                PostgresStoreConfig.of(readPg.jdbcUrl(), readPg.user(), readPg.password())
                    .withSchema("readdb")
                    .withStoreName("readdb"));
    if (cache.equals("cache")) {
      b.store(RedisStoreConfig.of("cache", stack.redis().host() + ":" + stack.redis().port()));
    } else {
      b.store(MemcachedStoreConfig.of("memo", stack.memcached().address()));
    }
    for (String collection : COLLECTIONS) {
      b.collection(collection, "search", cache, "readdb");
    }
    return b.build();
  }

  Connection source() throws SQLException {
    var pg = stack.postgres();
    return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
  }

  // ---- the run ----------------------------------------------------------------------------

  /** Runs the whole campaign and returns its summary. */
  Summary run() throws Exception {
    Instant started = Instant.now();
    await(this::sidecarHealthy, Duration.ofSeconds(120), "the coordinator's sidecar answers");
    for (int i = 0; i < settings.writers(); i++) {
      int n = i;
      spawn("writer-" + i, () -> writer(new Random(settings.seed() + n)));
    }
    for (int i = 0; i < settings.libraryReaders(); i++) {
      int n = i;
      spawn(
          "library-reader-" + i,
          () ->
              libraryReader(new Random(settings.seed() * 31 + n), n % 2 == 0 ? viaCache : viaMemo));
    }
    for (int i = 0; i < settings.sidecarReaders(); i++) {
      int n = i;
      spawn("sidecar-reader-" + i, () -> sidecarReader(new Random(settings.seed() * 17 + n)));
    }
    spawn("frontier-poller", this::frontierPoller);
    await(() -> lastFrontier.isAfter(Version.ZERO), Duration.ofSeconds(120), "a first frontier");

    injectFaults(new Random(settings.seed() * 7), started.plus(settings.length()));

    running.set(false);
    for (Thread t : threads) {
      t.join(60_000);
    }
    Duration loadTime = Duration.between(started, Instant.now());
    // Everything committed must reach every store: wait until the frontier covers the last commit.
    Version last =
        history.txs().stream().map(History.Tx::upper).max(Version::compareTo).orElse(Version.ZERO);
    await(
        () -> !frontier().isBefore(last),
        Duration.ofSeconds(180),
        "the frontier covers the last commit " + last);
    FinalComparison comparison = compareWithSource();
    Checker.Report report = Checker.check(history);
    return new Summary(
        this, report, comparison, loadTime, Duration.between(started, Instant.now()));
  }

  private void spawn(String name, ThrowingRunnable body) {
    Thread t =
        new Thread(
            () -> {
              try {
                body.run();
              } catch (Throwable e) {
                crashes.add(e);
                LOG.log(System.Logger.Level.ERROR, name + " crashed", e);
              }
            },
            name);
    threads.add(t);
    t.start();
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  List<Throwable> crashes() {
    return crashes;
  }

  // ---- writers ----------------------------------------------------------------------------

  private void writer(Random random) throws Exception {
    Connection c = null;
    while (running.get()) {
      try {
        if (c == null) {
          c = source();
          c.setAutoCommit(false);
        }
        History.Tx tx = commitOne(c, random);
        if (tx != null && tx.seq() % 8 == 0) {
          readYourWrites(tx, random);
        }
        Thread.sleep(random.nextInt(8)); // load shape: a few hundred transactions a second in all
      } catch (SQLException e) {
        writeRetries.incrementAndGet();
        closeQuietly(c);
        c = null;
        pause(100); // the source is restarting: try again shortly
      }
    }
    closeQuietly(c);
  }

  /** Commits one random transaction; records it with its commit LSN bracket when it committed. */
  private History.Tx commitOne(Connection c, Random random) throws SQLException {
    long seq = txSeq.incrementAndGet();
    Map<Key, Optional<Map<String, Object>>> writes = new LinkedHashMap<>();
    int rows = 1 + random.nextInt(4);
    long txid;
    Version lower;
    try {
      for (int i = 0; i < rows; i++) {
        String collection = COLLECTIONS.get(random.nextInt(COLLECTIONS.size()));
        long id = 1 + random.nextInt(settings.keys());
        Key key = new Key(collection, Long.toString(id));
        if (random.nextInt(5) == 0) {
          try (PreparedStatement d =
              c.prepareStatement("DELETE FROM public." + collection + " WHERE id = ?")) {
            d.setLong(1, id);
            if (d.executeUpdate() == 1) {
              writes.put(key, Optional.empty());
            }
            // deleting an absent row changes nothing and is not recorded (it orders nothing)
          }
        } else {
          String title =
              WORDS.get(random.nextInt(WORDS.size()))
                  + " "
                  + WORDS.get(random.nextInt(WORDS.size()))
                  + " "
                  + seq;
          Integer price = random.nextInt(10) == 0 ? null : random.nextInt(100_000);
          try (PreparedStatement u =
              c.prepareStatement(
                  "INSERT INTO public."
                      + collection
                      + " (id, title, price) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title,"
                      + " price = excluded.price")) {
            u.setLong(1, id);
            u.setString(2, title);
            u.setObject(3, price, java.sql.Types.INTEGER);
            u.executeUpdate();
          }
          Map<String, Object> doc = new HashMap<>();
          doc.put("id", id);
          doc.put("title", title);
          doc.put("price", price);
          writes.put(key, Optional.of(doc));
        }
      }
      txid = queryLong(c, "SELECT txid_current()");
      lower = walInsertLsn(c);
    } catch (SQLException e) {
      rollbackQuietly(c);
      throw e;
    }
    try {
      c.commit();
    } catch (SQLException e) {
      // The connection broke during COMMIT: ask the source whether it committed.
      commitsInDoubt.incrementAndGet();
      closeQuietly(c);
      return resolveInDoubt(seq, txid, lower, writes);
    }
    Version upper = walInsertLsn(c);
    c.commit();
    return writes.isEmpty() ? null : history.committed(seq, lower, upper, writes);
  }

  private History.Tx resolveInDoubt(
      long seq, long txid, Version lower, Map<Key, Optional<Map<String, Object>>> writes)
      throws SQLException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try (Connection c = source();
          PreparedStatement s = c.prepareStatement("SELECT txid_status(?)")) {
        s.setLong(1, txid);
        String status;
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          status = rs.getString(1);
        }
        if ("committed".equals(status)) {
          Version upper = walInsertLsn(c); // after the commit: an upper bound
          findings.add(
              "a COMMIT interrupted by a fault had committed (tx "
                  + txid
                  + "); recorded with bracket ["
                  + lower
                  + ", "
                  + upper
                  + "]");
          return writes.isEmpty() ? null : history.committed(seq, lower, upper, writes);
        }
        if (!"in progress".equals(status)) {
          return null; // aborted (or too old to know: not recorded, and the final comparison would
          // tell)
        }
      } catch (SQLException e) {
        // the source is still coming back
      }
      pause(200);
    }
    throw new SQLException(
        "could not learn whether transaction " + txid + " committed within 60 s");
  }

  private void readYourWrites(History.Tx tx, Random random) {
    Tidemark tm = random.nextBoolean() ? viaCache : viaMemo;
    Snapshot s;
    try {
      s = tm.snapshotAtLeast(Stamp.of(SOURCE, tx.upper()), Duration.ofSeconds(10));
    } catch (io.tidemark.client.SnapshotNotReadyException e) {
      history.readYourWrites(tx.seq(), tx.upper(), Optional.empty());
      return;
    } catch (TidemarkException e) {
      unavailable
          .computeIfAbsent("read-your-writes/" + e.code(), k -> new AtomicLong())
          .incrementAndGet();
      return;
    }
    Version at = s.stamp().get(SOURCE).orElseThrow();
    history.readYourWrites(tx.seq(), tx.upper(), Optional.of(at));
    long group = history.nextGroup();
    Key key = tx.writes().keySet().iterator().next();
    libraryGet(s, group, key, at, ConsistencyLevel.SNAPSHOT, null);
  }

  // ---- readers ----------------------------------------------------------------------------

  private void libraryReader(Random random, Tidemark tm) {
    String observer = Thread.currentThread().getName();
    String cacheName = tm == viaCache ? "cache" : "memo";
    Version previous = null;
    while (running.get()) {
      Snapshot s;
      try {
        s = tm.snapshot();
      } catch (TidemarkException e) {
        unavailable
            .computeIfAbsent("library/snapshot/" + e.code(), k -> new AtomicLong())
            .incrementAndGet();
        pause(50);
        continue;
      }
      Optional<Version> at = s.stamp().get(SOURCE);
      if (at.isEmpty()) {
        pause(20);
        continue;
      }
      history.observed(observer, at.get());
      long group = history.nextGroup();
      for (int i = 0; i < 3; i++) {
        Key key = randomKey(random);
        libraryGet(s, group, key, at.get(), ConsistencyLevel.SNAPSHOT, null);
        for (ReadFrom from : ReadFrom.values()) {
          libraryLookup(
              s,
              group,
              key,
              at.get(),
              from,
              from == ReadFrom.CACHE ? cacheName : null,
              ConsistencyLevel.SNAPSHOT,
              null);
        }
      }
      String word = WORDS.get(random.nextInt(WORDS.size()));
      String collection = COLLECTIONS.get(random.nextInt(COLLECTIONS.size()));
      librarySearch(s, group, collection, word, at.get(), ConsistencyLevel.SNAPSHOT, null);
      // Weaker levels, each in a group of its own.
      ConsistencyLevel level =
          random.nextBoolean() ? ConsistencyLevel.AT_LEAST : ConsistencyLevel.LATEST;
      Key key = randomKey(random);
      ReadFrom from = ReadFrom.values()[random.nextInt(ReadFrom.values().length)];
      libraryLookup(
          s,
          history.nextGroup(),
          key,
          at.get(),
          from,
          from == ReadFrom.CACHE ? cacheName : null,
          level,
          null);
      librarySearch(s, history.nextGroup(), collection, word, at.get(), level, null);
      if (previous != null && at.get().asLong() - previous.asLong() > 1 && random.nextInt(3) == 0) {
        readBetweenBoundaries(tm, cacheName, previous, at.get(), random);
      }
      previous = at.get();
    }
  }

  /**
   * A snapshot at a token strictly between two frontiers this reader saw: it reads as the epoch
   * boundary below the token, which lies somewhere from {@code floor} to the token (design §2).
   */
  private void readBetweenBoundaries(
      Tidemark tm, String cacheName, Version floor, Version frontier, Random random) {
    long span = frontier.asLong() - floor.asLong() - 1;
    Version at = Version.of(floor.asLong() + 1 + (long) (random.nextDouble() * span));
    Snapshot s;
    try {
      s = tm.snapshot(Stamp.of(SOURCE, at));
    } catch (TidemarkException e) {
      unavailable
          .computeIfAbsent("library/between/" + e.code(), k -> new AtomicLong())
          .incrementAndGet();
      return;
    }
    long group = history.nextGroup();
    for (int i = 0; i < 3; i++) {
      Key key = randomKey(random);
      libraryGet(s, group, key, at, ConsistencyLevel.SNAPSHOT, floor);
      for (ReadFrom from : ReadFrom.values()) {
        libraryLookup(
            s,
            group,
            key,
            at,
            from,
            from == ReadFrom.CACHE ? cacheName : null,
            ConsistencyLevel.SNAPSHOT,
            floor);
      }
    }
    librarySearch(
        s,
        group,
        COLLECTIONS.get(random.nextInt(COLLECTIONS.size())),
        WORDS.get(random.nextInt(WORDS.size())),
        at,
        ConsistencyLevel.SNAPSHOT,
        floor);
  }

  private Key randomKey(Random random) {
    return new Key(
        COLLECTIONS.get(random.nextInt(COLLECTIONS.size())),
        Long.toString(1 + random.nextInt(settings.keys())));
  }

  private void libraryGet(
      Snapshot s, long group, Key key, Version at, ConsistencyLevel level, Version floor) {
    Answer answer;
    try {
      Optional<Document> doc = s.get(key.collection(), key.id(), level);
      answer =
          doc.map(d -> Answer.found(new Doc(d.id(), d.version(), d.doc()))).orElse(Answer.absent());
    } catch (TidemarkException e) {
      answer = Answer.error(e.code());
      pause(20); // a store under a fault: do not spin on it
    } catch (RuntimeException e) {
      answer = Answer.error("exception " + e.getClass().getSimpleName());
      findings.add("library get threw " + e);
    }
    history.read(
        group, "library", "get", false, level, at, key.collection(), key.id(), null, answer, floor);
  }

  private void libraryLookup(
      Snapshot s,
      long group,
      Key key,
      Version at,
      ReadFrom from,
      String cacheName,
      ConsistencyLevel level,
      Version floor) {
    String store = from == ReadFrom.CACHE ? cacheName : from == ReadFrom.DB ? "readdb" : "search";
    Answer answer;
    try {
      Lookup lookup = s.lookup(key.collection(), key.id(), from, level);
      answer =
          lookup.isMiss()
              ? Answer.miss()
              : lookup.isFound()
                  ? Answer.found(
                      new Doc(
                          key.id(),
                          lookup.version().orElseThrow(),
                          lookup.document().orElseThrow()))
                  : Answer.absent();
    } catch (TidemarkException e) {
      answer = Answer.error(e.code());
      pause(20); // a store under a fault: do not spin on it
    } catch (RuntimeException e) {
      answer = Answer.error("exception " + e.getClass().getSimpleName());
      findings.add("library lookup from " + store + " threw " + e);
    }
    history.read(
        group,
        "library",
        store,
        from == ReadFrom.CACHE,
        level,
        at,
        key.collection(),
        key.id(),
        null,
        answer,
        floor);
  }

  private void librarySearch(
      Snapshot s,
      long group,
      String collection,
      String word,
      Version at,
      ConsistencyLevel level,
      Version floor) {
    Answer answer;
    try {
      List<Doc> hits = new ArrayList<>();
      for (Document d : s.search(collection, word, 1000, level)) {
        hits.add(new Doc(d.id(), d.version(), d.doc()));
      }
      answer = Answer.hits(hits);
    } catch (TidemarkException e) {
      answer = Answer.error(e.code());
      pause(20); // a store under a fault: do not spin on it
    } catch (RuntimeException e) {
      answer = Answer.error("exception " + e.getClass().getSimpleName());
      findings.add("library search threw " + e);
    }
    history.read(
        group, "library", "search", false, level, at, collection, null, word, answer, floor);
  }

  private void sidecarReader(Random random) {
    String observer = Thread.currentThread().getName();
    long round = 0;
    Version previous = null;
    while (running.get()) {
      round++;
      String token;
      try {
        HttpResponse<String> created = http("POST", "/v1/snapshots", "{}");
        if (created.statusCode() != 201) {
          unavailable
              .computeIfAbsent("sidecar/snapshot/" + errorCode(created), k -> new AtomicLong())
              .incrementAndGet();
          pause(50);
          continue;
        }
        token = JSON.readTree(created.body()).get("token").asText();
      } catch (IOException e) {
        unavailable
            .computeIfAbsent("sidecar/snapshot/connection", k -> new AtomicLong())
            .incrementAndGet();
        pause(50);
        continue;
      } catch (InterruptedException e) {
        return;
      }
      Optional<Version> at = Stamp.parse(token).get(SOURCE);
      if (at.isEmpty()) {
        pause(20);
        continue;
      }
      history.observed(observer, at.get());
      sidecarSnapshotReads(token, at.get(), null, random);
      String enc = URLEncoder.encode(token, StandardCharsets.UTF_8);
      Key key = randomKey(random);
      ConsistencyLevel level =
          random.nextBoolean() ? ConsistencyLevel.AT_LEAST : ConsistencyLevel.LATEST;
      sidecarGet(
          history.nextGroup(),
          key,
          at.get(),
          "/v1/collections/"
              + key.collection()
              + "/docs/"
              + key.id()
              + "?snapshot="
              + enc
              + "&from=db&level="
              + level.name().toLowerCase(java.util.Locale.ROOT),
          "readdb",
          false,
          level,
          null);
      if (round % 10 == 0) {
        refusalProbes(random);
      }
      if (previous != null && at.get().asLong() - previous.asLong() > 1 && random.nextInt(3) == 0) {
        // A token strictly between two frontiers: it reads as the boundary below it (design §2).
        long span = at.get().asLong() - previous.asLong() - 1;
        Version between = Version.of(previous.asLong() + 1 + (long) (random.nextDouble() * span));
        sidecarSnapshotReads(Stamp.of(SOURCE, between).token(), between, previous, random);
      }
      previous = at.get();
    }
  }

  /** One snapshot's reads through the sidecar: three rows from every store, and a search. */
  private void sidecarSnapshotReads(String token, Version at, Version floor, Random random) {
    long group = history.nextGroup();
    String enc = URLEncoder.encode(token, StandardCharsets.UTF_8);
    for (int i = 0; i < 3; i++) {
      Key key = randomKey(random);
      String base =
          "/v1/collections/" + key.collection() + "/docs/" + key.id() + "?snapshot=" + enc;
      sidecarGet(group, key, at, base, "get", false, ConsistencyLevel.SNAPSHOT, floor);
      sidecarGet(
          group, key, at, base + "&from=cache", "cache", true, ConsistencyLevel.SNAPSHOT, floor);
      sidecarGet(
          group, key, at, base + "&from=db", "readdb", false, ConsistencyLevel.SNAPSHOT, floor);
      sidecarGet(
          group, key, at, base + "&from=search", "search", false, ConsistencyLevel.SNAPSHOT, floor);
    }
    String word = WORDS.get(random.nextInt(WORDS.size()));
    String collection = COLLECTIONS.get(random.nextInt(COLLECTIONS.size()));
    sidecarSearch(group, collection, word, at, enc, ConsistencyLevel.SNAPSHOT, floor);
  }

  private void sidecarGet(
      long group,
      Key key,
      Version at,
      String path,
      String store,
      boolean cache,
      ConsistencyLevel level,
      Version floor) {
    Answer answer;
    try {
      HttpResponse<String> r = http("GET", path, null);
      JsonNode body = JSON.readTree(r.body());
      if (r.statusCode() == 200) {
        answer = Answer.found(doc(body));
      } else if (r.statusCode() == 404 && "not_found".equals(body.path("error").asText())) {
        answer = Answer.absent();
      } else if (r.statusCode() == 404 && "cache_miss".equals(body.path("error").asText())) {
        answer = Answer.miss();
      } else {
        answer = Answer.error(body.path("error").asText("http " + r.statusCode()));
      }
    } catch (IOException e) {
      answer = Answer.error("connection");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    history.read(
        group, "sidecar", store, cache, level, at, key.collection(), key.id(), null, answer, floor);
  }

  private void sidecarSearch(
      long group,
      String collection,
      String word,
      Version at,
      String token,
      ConsistencyLevel level,
      Version floor) {
    Answer answer;
    try {
      HttpResponse<String> r =
          http(
              "GET",
              "/v1/collections/"
                  + collection
                  + "/search?q="
                  + word
                  + "&size=1000&snapshot="
                  + token
                  + "&level="
                  + level.name().toLowerCase(java.util.Locale.ROOT),
              null);
      JsonNode body = JSON.readTree(r.body());
      if (r.statusCode() == 200) {
        List<Doc> hits = new ArrayList<>();
        body.path("hits").forEach(h -> hits.add(doc(h)));
        answer = Answer.hits(hits);
      } else {
        answer = Answer.error(body.path("error").asText("http " + r.statusCode()));
      }
    } catch (IOException e) {
      answer = Answer.error("connection");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    history.read(
        group, "sidecar", "search", false, level, at, collection, null, word, answer, floor);
  }

  @SuppressWarnings("unchecked")
  private static Doc doc(JsonNode node) {
    return new Doc(
        node.get("id").asText(),
        Version.parse(node.get("version").asText()),
        JSON.convertValue(node.get("doc"), Map.class));
  }

  /** Invariant 6 through the sidecar: tokens that must be refused, and how. */
  private void refusalProbes(Random random) {
    List<String> malformed =
        List.of(
            "garbage",
            "tm1:",
            "tm2:listings@0/1",
            "tm1:listings@zz/1",
            "tm1:listings@0/1/2",
            "tm1:listings@0/1,listings@0/2",
            "tm1:lïstings@0/1",
            "tm1:listings@" + "1".repeat(40) + "/0",
            "'; DROP TABLE ads; --",
            "tm1:listings@0/1\u0000");
    String bad = malformed.get(random.nextInt(malformed.size()));
    probe(
        "/v1/collections/ads/docs/1?snapshot=" + URLEncoder.encode(bad, StandardCharsets.UTF_8),
        bad,
        "bad_token");
    String future = "tm1:listings@FFFFFFF0/0";
    probe(
        "/v1/collections/ads/docs/1?snapshot=" + URLEncoder.encode(future, StandardCharsets.UTF_8),
        future,
        "snapshot_not_ready");
    Stamp horizon = viaCache.frontierSource().horizon();
    if (horizon.get(SOURCE).map(h -> h.isAfter(Version.of(1))).orElse(false)) {
      String old = "tm1:listings@0/1";
      probe(
          "/v1/collections/ads/search?q=red&snapshot="
              + URLEncoder.encode(old, StandardCharsets.UTF_8),
          old,
          "snapshot_expired");
    }
    try {
      HttpResponse<String> r =
          http("POST", "/v1/snapshots", "{\"atLeast\": \"" + future + "\", \"waitMillis\": 50}");
      history.refusal(
          "sidecar POST /v1/snapshots wait",
          future,
          "not_ready",
          r.statusCode() == 408 ? errorCode(r) : "http " + r.statusCode());
    } catch (IOException e) {
      unavailable
          .computeIfAbsent("sidecar/probe/connection", k -> new AtomicLong())
          .incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // The library refuses the same way.
    try {
      viaCache.snapshot(bad);
      history.refusal("library snapshot(token)", bad, "bad_token", "ok");
    } catch (TidemarkException e) {
      history.refusal("library snapshot(token)", bad, "bad_token", e.code());
    } catch (IllegalArgumentException e) {
      history.refusal("library snapshot(token)", bad, "bad_token", "IllegalArgumentException");
    }
  }

  private void probe(String path, String token, String expected) {
    try {
      HttpResponse<String> r = http("GET", path, null);
      history.refusal(
          "sidecar GET " + path.substring(0, path.indexOf('?')),
          token,
          expected,
          r.statusCode() == 200 ? "ok" : errorCode(r));
    } catch (IOException e) {
      unavailable
          .computeIfAbsent("sidecar/probe/connection", k -> new AtomicLong())
          .incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String errorCode(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body()).path("error").asText("http " + r.statusCode());
    } catch (IOException e) {
      return "http " + r.statusCode();
    }
  }

  private HttpResponse<String> http(String method, String path, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(sidecar.resolve(path)).timeout(Duration.ofSeconds(10));
    if (body != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void frontierPoller() {
    while (running.get()) {
      Version v = frontierNow();
      if (v != null) {
        history.observed("frontier-poller", v);
        lastFrontier = v;
      }
      pause(50);
    }
  }

  /** The sidecar's frontier now (ZERO when it publishes none), or null when it cannot be asked. */
  private Version frontierNow() {
    try {
      HttpResponse<String> r = http("GET", "/v1/frontier", null);
      if (r.statusCode() != 200) {
        return null;
      }
      JsonNode stamp = JSON.readTree(r.body()).path("stamp").path(SOURCE);
      // An answer without this source publishes an empty frontier: observed as ZERO, so that a
      // coordinator publishing nothing after it published a frontier counts as moving back.
      return stamp.isMissingNode() || stamp.isNull() ? Version.ZERO : Version.parse(stamp.asText());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** A store's watermark as the sidecar reports it, or null. */
  private Version watermark(String store) {
    try {
      HttpResponse<String> r = http("GET", "/v1/frontier", null);
      JsonNode w =
          JSON.readTree(r.body()).path("stores").path(store).path("watermark").path(SOURCE);
      return w.isMissingNode() || w.isNull() ? null : Version.parse(w.asText());
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private Version frontier() {
    Version v = frontierNow();
    return v == null ? Version.ZERO : v;
  }

  private boolean sidecarHealthy() {
    try {
      return http("GET", "/healthz", null).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  // ---- faults -----------------------------------------------------------------------------

  private void injectFaults(Random random, Instant end) throws Exception {
    List<Fault> cycle = new ArrayList<>(List.of(Fault.values()));
    int next = cycle.size();
    // Until the time is up, and at least until every kind has been injected once.
    while (Instant.now().isBefore(end) || faults.values().stream().anyMatch(n -> n.get() == 0)) {
      if (!coordinator.isAlive()) {
        findings.add("the coordinator process exited by itself; see " + coordinator.log());
        faultLog.add(Instant.now() + " coordinator found dead: restarted");
        coordinator.start();
        await(this::sidecarHealthy, Duration.ofSeconds(120), "the restarted coordinator answers");
      }
      pause(500 + random.nextInt(2500)); // a random moment
      if (next == cycle.size()) {
        Collections.shuffle(cycle, random);
        next = 0;
      }
      Fault fault = cycle.get(next++);
      long t0 = System.nanoTime();
      String detail = inject(fault, random);
      faults.get(fault).incrementAndGet();
      faultLog.add(
          Instant.now()
              + " "
              + fault
              + " ("
              + (System.nanoTime() - t0) / 1_000_000
              + " ms): "
              + detail);
      LOG.log(System.Logger.Level.INFO, "fault " + fault + ": " + detail);
    }
    // Let the last fault heal under load before the writers stop.
    await(
        this::sidecarHealthy,
        Duration.ofSeconds(120),
        "the coordinator answers after the last fault");
  }

  private String inject(Fault fault, Random random) throws Exception {
    switch (fault) {
      case COORDINATOR_KILLED:
        {
          Version before = lastFrontier;
          coordinator.kill();
          pause(random.nextInt(1000));
          coordinator.start();
          await(
              this::sidecarHealthy,
              Duration.ofSeconds(120),
              "the coordinator answers after kill -9");
          return "kill -9 at frontier " + before + ", restarted";
        }
      case STORE_PAUSED:
        {
          StoreKind kind = random.nextBoolean() ? StoreKind.ELASTICSEARCH : StoreKind.MEMCACHED;
          long millis = 1000 + random.nextInt(3000);
          stack.store(kind).pause();
          try {
            pause(millis);
          } finally {
            stack.store(kind).resume();
          }
          return kind + " SIGSTOP for " + millis + " ms, then SIGCONT";
        }
      case STORE_RESTARTED:
        {
          stack.store(StoreKind.ELASTICSEARCH).restart();
          return "Elasticsearch stopped and started (keeps its data)";
        }
      case REDIS_RESTARTED_EMPTY:
        {
          stack.store(StoreKind.REDIS).restart();
          return "Redis restarted without persistence: empty";
        }
      case MEMCACHED_FLUSHED:
        {
          try (Socket socket = new Socket(stack.memcached().host(), stack.memcached().port())) {
            OutputStream out = socket.getOutputStream();
            out.write("flush_all\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] reply = socket.getInputStream().readNBytes(4);
            return "flush_all answered " + new String(reply, StandardCharsets.US_ASCII).trim();
          }
        }
      case READDB_RESTARTED:
        {
          readStack.store(StoreKind.POSTGRES).restart();
          return "the read database's PostgreSQL restarted";
        }
      case SOURCE_RESTARTED:
        {
          stack.store(StoreKind.POSTGRES).restart();
          Version before = frontier();
          boolean moved =
              awaitQuietly(
                  () -> frontier().isAfter(before) || !coordinator.isAlive(),
                  Duration.ofSeconds(60));
          if (!coordinator.isAlive() || !moved) {
            findings.add(
                "after a source PostgreSQL restart the coordinator "
                    + (coordinator.isAlive()
                        ? "stopped moving the frontier (sidecar healthy: " + sidecarHealthy() + ")"
                        : "exited")
                    + "; see "
                    + coordinator.log());
            coordinator.kill();
            coordinator.start();
            await(
                this::sidecarHealthy,
                Duration.ofSeconds(120),
                "the coordinator answers after the source restart");
            return "source PostgreSQL restarted; the coordinator did not recover by itself and was restarted";
          }
          return "source PostgreSQL restarted; the frontier moved on from " + before;
        }
      case SLOW_STORE:
        {
          long millis = 20 + random.nextInt(60);
          long chunks = slowRedis.delayedChunks();
          slowRedis.delay(millis);
          try {
            pause(2000 + random.nextInt(2000));
          } finally {
            slowRedis.delay(0);
          }
          return "Redis behind the proxy answered "
              + millis
              + " ms late ("
              + (slowRedis.delayedChunks() - chunks)
              + " chunks delayed)";
        }
      case DUPLICATED_DELIVERY:
        return duplicatedDelivery();
      default:
        throw new IllegalStateException(fault.toString());
    }
  }

  /**
   * Redelivery that really happens: Elasticsearch is frozen, so the frontier, and with it the
   * source's committed offset, stays behind while the other stores apply newer epochs; then the
   * coordinator is killed. On restart the source delivers again everything after the committed
   * offset, and the other stores receive epochs they already hold. The span is measured as the read
   * database's watermark at the kill minus the offset's LSN.
   */
  private String duplicatedDelivery() throws Exception {
    Version readdbBefore = watermark("readdb");
    stack.store(StoreKind.ELASTICSEARCH).pause();
    Version readdbAtKill;
    try {
      awaitQuietly(
          () -> {
            Version w = watermark("readdb");
            return w != null && readdbBefore != null && w.asLong() > readdbBefore.asLong() + 50_000;
          },
          Duration.ofSeconds(10));
      readdbAtKill = watermark("readdb");
      coordinator.kill();
    } finally {
      stack.store(StoreKind.ELASTICSEARCH).resume();
    }
    Version offset = committedOffset();
    coordinator.start();
    await(
        this::sidecarHealthy,
        Duration.ofSeconds(120),
        "the coordinator answers after the redelivery kill");
    long span =
        readdbAtKill == null || offset == null ? -1 : readdbAtKill.asLong() - offset.asLong();
    if (span > 0) {
      redeliveredBytes.addAndGet(span);
    }
    return "Elasticsearch frozen, readdb applied up to "
        + readdbAtKill
        + ", kill -9 with the source offset at "
        + offset
        + ": "
        + span
        + " bytes of WAL delivered again to stores that had them";
  }

  /** The LSN of the source offset the coordinator last committed (Debezium's {@code "lsn":N}). */
  private Version committedOffset() {
    Path file = folder.resolve("state").resolve(SOURCE).resolve("offsets.dat");
    try {
      String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
      Matcher m = Pattern.compile("\"lsn\":(\\d+)").matcher(text);
      Version found = null;
      while (m.find()) {
        found = Version.of(Long.parseLong(m.group(1)));
      }
      return found;
    } catch (IOException e) {
      return null;
    }
  }

  // ---- the end ----------------------------------------------------------------------------

  /** Every row of every collection in every store at the final frontier, against the source now. */
  record FinalComparison(
      Version at, long rowsCompared, long rowsLost, long cacheMisses, List<String> problems) {}

  private FinalComparison compareWithSource() throws Exception {
    Snapshot s = viaCache.snapshot();
    Snapshot m = viaMemo.snapshot(s.token());
    Version at = s.stamp().get(SOURCE).orElseThrow();
    List<String> problems = new ArrayList<>();
    long compared = 0;
    long lost = 0;
    long misses = 0;
    long group = history.nextGroup();
    try (Connection c = source();
        Statement st = c.createStatement()) {
      for (String collection : COLLECTIONS) {
        Map<String, Map<String, Object>> rows = new TreeMap<>();
        try (ResultSet rs = st.executeQuery("SELECT id, title, price FROM public." + collection)) {
          while (rs.next()) {
            Map<String, Object> doc = new HashMap<>();
            doc.put("id", rs.getLong(1));
            doc.put("title", rs.getString(2));
            doc.put("price", rs.getObject(3));
            rows.put(Long.toString(rs.getLong(1)), doc);
          }
        }
        for (long id = 1; id <= settings.keys(); id++) {
          String key = Long.toString(id);
          Map<String, Object> want = rows.get(key);
          boolean rowLost = false;
          compared++;
          for (Object[] target :
              new Object[][] {
                {s, ReadFrom.DB, "readdb"},
                {s, ReadFrom.SEARCH, "search"},
                {s, ReadFrom.CACHE, "cache"},
                {m, ReadFrom.CACHE, "memo"}
              }) {
            Snapshot snap = (Snapshot) target[0];
            ReadFrom from = (ReadFrom) target[1];
            Lookup lookup = snap.lookup(collection, key, from, ConsistencyLevel.SNAPSHOT);
            Answer answer =
                lookup.isMiss()
                    ? Answer.miss()
                    : lookup.isFound()
                        ? Answer.found(
                            new Doc(
                                key,
                                lookup.version().orElseThrow(),
                                lookup.document().orElseThrow()))
                        : Answer.absent();
            history.read(
                group,
                "final",
                (String) target[2],
                from == ReadFrom.CACHE,
                ConsistencyLevel.SNAPSHOT,
                at,
                collection,
                key,
                null,
                answer);
            if (lookup.isMiss()) {
              misses++;
              continue;
            }
            boolean right =
                want == null
                    ? !lookup.isFound()
                    : lookup.isFound() && Checker.sameDoc(want, lookup.document().orElseThrow());
            if (!right) {
              problems.add(
                  target[2]
                      + " "
                      + collection
                      + "/"
                      + key
                      + ": source has "
                      + want
                      + ", store has "
                      + answer);
              if (from != ReadFrom.CACHE) {
                rowLost = true;
              }
            }
          }
          if (rowLost) {
            lost++;
          }
        }
      }
    }
    return new FinalComparison(at, compared, lost, misses, problems);
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static Version walInsertLsn(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return Version.parse(rs.getString(1));
    }
  }

  private static long queryLong(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      // the connection is gone; so is the transaction
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // already broken
      }
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void await(BooleanSupplier condition, Duration timeout, String what) {
    if (!awaitQuietly(condition, timeout)) {
      throw new AssertionError("timed out after " + timeout + " waiting until " + what);
    }
  }

  static boolean awaitQuietly(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      pause(20);
    }
    return condition.getAsBoolean();
  }

  @Override
  public void close() throws IOException {
    running.set(false);
    try {
      for (Thread t : threads) {
        t.join(30_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      coordinator.close();
    } finally {
      viaCache.close();
      viaMemo.close();
      slowRedis.close();
      readStack.close();
      stack.close();
    }
  }
}
