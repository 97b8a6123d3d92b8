package io.tidemark.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch.core.GetResponse;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.spy.memcached.AddrUtil;
import net.spy.memcached.MemcachedClient;
import org.apache.http.HttpHost;
import org.elasticsearch.client.RestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

class DevstackIT {

  @Test
  void startsEveryStoreAnswersItsClientAndLeavesNothingBehind() throws Exception {
    long began = System.nanoTime();
    Devstack stack = Devstack.builder().startupTimeout(Duration.ofSeconds(60)).start();
    List<ProcessHandle> started = new ArrayList<>();
    Path folder = stack.folder();
    try {
      System.out.printf(
          "devstack: all four stores ready in %d ms%n%s",
          Duration.ofNanos(System.nanoTime() - began).toMillis(), stack.describe());
      assertThat(stack.stores()).containsExactlyInAnyOrder(StoreKind.values());

      postgresAnswers(stack.postgres());
      elasticsearchAnswers(stack.elasticsearch());
      redisAnswers(stack.redis());
      memcachedAnswers(stack.memcached());

      for (StoreKind kind : StoreKind.values()) {
        List<ProcessHandle> tree = stack.store(kind).processTree();
        assertThat(tree).as(kind.id()).isNotEmpty().allMatch(ProcessHandle::isAlive);
        started.addAll(tree);
      }
      // Elasticsearch's launcher runs the server as a child JVM; PostgreSQL has its workers.
      assertThat(stack.store(StoreKind.ELASTICSEARCH).processTree()).hasSizeGreaterThan(1);
      assertThat(stack.store(StoreKind.POSTGRES).processTree()).hasSizeGreaterThan(1);
      if (Host.isRoot()) {
        assertThat(stack.store(StoreKind.POSTGRES).process().info().user())
            .hasValue(Host.DEFAULT_SERVICE_USER);
      }
      assertThat(folder).isDirectory();
    } finally {
      stack.close();
    }
    assertThat(started).noneMatch(ProcessHandle::isAlive);
    assertThat(folder).doesNotExist();
    stack.close(); // idempotent
    assertThatThrownBy(() -> stack.store(StoreKind.REDIS).start())
        .isInstanceOf(IllegalStateException.class);
  }

  private static void postgresAnswers(PostgresInfo pg) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE ads (id int PRIMARY KEY, title text)");
      s.execute("INSERT INTO ads VALUES (1, 'bike')");
      assertThat(single(s, "SELECT title FROM ads WHERE id = 1")).isEqualTo("bike");
      assertThat(single(s, "SHOW wal_level")).isEqualTo("logical");
      assertThat(single(s, "SHOW max_replication_slots")).isEqualTo("20");
      assertThat(single(s, "SELECT current_database()")).isEqualTo("tidemark");
      assertThat(
              single(
                  s,
                  "SELECT rolreplication AND rolsuper FROM pg_roles WHERE rolname = current_user"))
          .isEqualTo("t");
      assertThat(
              single(
                  s,
                  "SELECT lsn IS NOT NULL FROM pg_create_logical_replication_slot('x', 'pgoutput')"))
          .isEqualTo("t");
      assertThat(single(s, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'x'"))
          .isEqualTo("1");
      s.execute("SELECT pg_drop_replication_slot('x')");
      assertThat(single(s, "SELECT count(*) FROM pg_replication_slots")).isEqualTo("0");
    }
    Properties wrong = new Properties();
    wrong.setProperty("user", pg.user());
    wrong.setProperty("password", "not-" + pg.password());
    assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl(), wrong).close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("password authentication failed");
  }

  private static String single(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      assertThat(rs.next()).as(sql).isTrue();
      return rs.getString(1);
    }
  }

  private static void elasticsearchAnswers(ElasticsearchInfo es) throws Exception {
    try (RestClient rest = RestClient.builder(HttpHost.create(es.httpUrl())).build();
        RestClientTransport transport = new RestClientTransport(rest, new JacksonJsonpMapper())) {
      ElasticsearchClient client = new ElasticsearchClient(transport);
      client.index(i -> i.index("ads").id("1").document(new Ad("bike")).refresh(Refresh.True));
      GetResponse<Ad> got = client.get(g -> g.index("ads").id("1"), Ad.class);
      assertThat(got.found()).isTrue();
      assertThat(got.source()).isEqualTo(new Ad("bike"));
      assertThat(
              client.search(s -> s.index("ads").q("title:bike"), Ad.class).hits().total().value())
          .isEqualTo(1);
    }
  }

  record Ad(String title) {}

  private static void redisAnswers(RedisInfo redis) {
    try (Jedis jedis = new Jedis(redis.host(), redis.port())) {
      assertThat(jedis.set("ad:1", "bike")).isEqualTo("OK");
      assertThat(jedis.get("ad:1")).isEqualTo("bike");
      assertThat(jedis.configGet("save")).containsEntry("save", "");
      assertThat(jedis.configGet("appendonly")).containsEntry("appendonly", "no");
      assertThat(jedis.configGet("zset-max-listpack-value"))
          .containsEntry("zset-max-listpack-value", "4096");
    }
  }

  private static void memcachedAnswers(MemcachedInfo memcached) throws Exception {
    MemcachedClient client = new MemcachedClient(AddrUtil.getAddresses(memcached.address()));
    try {
      byte[] megabyte = new byte[1024 * 1024];
      Arrays.fill(megabyte, (byte) 'x');
      assertThat(client.set("ad:1", 0, "bike").get(5, TimeUnit.SECONDS)).isTrue();
      assertThat(client.get("ad:1")).isEqualTo("bike");
      assertThat(client.set("big", 0, megabyte).get(5, TimeUnit.SECONDS)).isTrue();
      assertThat((byte[]) client.get("big")).isEqualTo(megabyte);
      Map<String, String> stats =
          client.getStats().get(new InetSocketAddress(memcached.host(), memcached.port()));
      assertThat(stats).containsEntry("threads", stats.get("threads")); // answered at all
    } finally {
      client.shutdown(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void pausesResumesRestartsAndRecoversFromKill() throws Exception {
    try (Devstack stack =
        Devstack.builder()
            .stores(StoreKind.POSTGRES, StoreKind.REDIS, StoreKind.MEMCACHED)
            .start()) {
      // Redis: frozen means no answer; restarted means the same port and no data.
      StoreHandle redis = stack.store(StoreKind.REDIS);
      int redisPort = stack.redis().port();
      try (Jedis jedis = new Jedis(stack.redis().host(), redisPort)) {
        jedis.set("k", "v");
      }
      redis.pause();
      assertThat(redis.isPaused()).isTrue();
      assertThatThrownBy(
              () -> {
                try (Jedis jedis = new Jedis(stack.redis().host(), redisPort, 300)) {
                  jedis.ping();
                }
              })
          .isInstanceOf(JedisConnectionException.class);
      redis.resume();
      try (Jedis jedis = new Jedis(stack.redis().host(), redisPort)) {
        assertThat(jedis.get("k")).isEqualTo("v");
      }
      long oldPid = redis.process().pid();
      redis.restart();
      assertThat(redis.process().pid()).isNotEqualTo(oldPid);
      assertThat(stack.redis().port()).isEqualTo(redisPort);
      try (Jedis jedis = new Jedis(stack.redis().host(), redisPort)) {
        assertThat(jedis.get("k")).isNull();
      }

      // PostgreSQL: data survives a restart and a crash.
      PostgresInfo pg = stack.postgres();
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (v text)");
        s.execute("INSERT INTO t VALUES ('kept')");
      }
      StoreHandle postgres = stack.store(StoreKind.POSTGRES);
      postgres.restart();
      List<ProcessHandle> crashed = postgres.processTree();
      postgres.kill();
      assertThat(postgres.isRunning()).isFalse();
      assertThat(crashed).noneMatch(ProcessHandle::isAlive);
      postgres.start();
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
          Statement s = c.createStatement()) {
        assertThat(single(s, "SELECT v FROM t")).isEqualTo("kept");
      }

      // A paused store still stops promptly.
      StoreHandle memcached = stack.store(StoreKind.MEMCACHED);
      memcached.pause();
      ProcessHandle frozen = memcached.process();
      memcached.stop();
      assertThat(frozen.isAlive()).isFalse();
      assertThat(memcached.isRunning()).isFalse();
      assertThatThrownBy(memcached::process).isInstanceOf(IllegalStateException.class);
      assertThat(Files.isDirectory(memcached.folder())).isTrue();
    }
  }

  @Test
  void storesLeftByAKilledJvmAreStoppedByTheNextStackInTheSameWorkRoot(@TempDir Path temp)
      throws Exception {
    // Reachable by the store account when this runs as root.
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path workRoot = temp.resolve("work");
    String classpath =
        Path.of(Devstack.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    Process jvm =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classpath,
                "-D" + Devstack.WORK_ROOT_PROPERTY + "=" + workRoot,
                Devstack.class.getName(),
                "redis")
            .redirectErrorStream(true)
            .start();
    ProcessHandle orphan;
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<Long> redisPid =
          CompletableFuture.supplyAsync(
              () -> {
                Pattern pid = Pattern.compile("redis .*\\(pid (\\d+)");
                StringBuilder seen = new StringBuilder();
                try {
                  for (String line; (line = out.readLine()) != null; ) {
                    seen.append(line).append('\n');
                    Matcher m = pid.matcher(line);
                    if (m.find()) {
                      return Long.parseLong(m.group(1));
                    }
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
                throw new AssertionError("the child JVM ended without starting Redis:\n" + seen);
              });
      orphan = ProcessHandle.of(redisPid.get(60, TimeUnit.SECONDS)).orElseThrow();
    } finally {
      jvm.destroyForcibly(); // SIGKILL: no shutdown hook runs
      jvm.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(orphan.isAlive()).as("Redis outlives its killed JVM").isTrue();

    try (Devstack next = Devstack.builder().stores(StoreKind.REDIS).workRoot(workRoot).start()) {
      assertThat(orphan.onExit()).succeedsWithin(Duration.ofSeconds(10));
      try (var runs = Files.list(workRoot)) {
        assertThat(runs).containsExactly(next.folder());
      }
    }
  }

  @Test
  void sharedStackIsStartedOnceAndOutlivesClose() {
    Devstack first = Devstack.shared(StoreKind.REDIS);
    first.close(); // a no-op on the shared stack
    Devstack second = Devstack.shared(StoreKind.REDIS, StoreKind.MEMCACHED);
    assertThat(second).isSameAs(first);
    assertThat(second.isShared()).isTrue();
    assertThat(second.stores()).containsExactlyInAnyOrder(StoreKind.REDIS, StoreKind.MEMCACHED);
    try (Jedis jedis = new Jedis(second.redis().host(), second.redis().port())) {
      assertThat(jedis.ping()).isEqualTo("PONG");
    }
  }
}
