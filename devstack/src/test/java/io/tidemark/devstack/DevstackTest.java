package io.tidemark.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Devstack's checks that need no server. */
class DevstackTest {

  @TempDir Path temp;

  private Binaries emptyPath() {
    return new Binaries(temp.resolve("empty-bin").toString(), List.of());
  }

  @Test
  void missingProgramsAreNamedWithTheirDebianPackage() {
    Binaries none = emptyPath();
    assertThatThrownBy(() -> none.require("memcached", "memcached"))
        .isInstanceOf(DevstackException.class)
        .hasMessage("memcached not found on PATH: install it with `apt-get install memcached`");
    assertThatThrownBy(none::postgresBin)
        .hasMessage(
            "initdb not found on PATH or in /usr/lib/postgresql/*/bin:"
                + " install it with `apt-get install postgresql`");
  }

  @Test
  void startingWithoutTheProgramsFailsBeforeStartingAnythingAndLeavesNoFolder() throws Exception {
    // Reachable by the store account when this runs as root (else the default root is used).
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path workRoot = temp.resolve("work");
    assertThatThrownBy(
            () ->
                Devstack.builder()
                    .stores(StoreKind.POSTGRES, StoreKind.REDIS, StoreKind.MEMCACHED)
                    .workRoot(workRoot)
                    .binaries(emptyPath())
                    .start())
        .isInstanceOf(DevstackException.class)
        .hasMessageContaining("initdb not found on PATH or in /usr/lib/postgresql/*/bin")
        .hasMessageContaining(
            "redis-server not found on PATH: install it with `apt-get install redis-server`")
        .hasMessageContaining(
            "memcached not found on PATH: install it with `apt-get install memcached`");
    try (var runs = Files.list(workRoot)) {
      assertThat(runs).isEmpty();
    }
  }

  /** A folder on a fake PATH holding one script, reachable by the store account as root. */
  private Binaries fakeProgram(String name, String script) throws Exception {
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path bin = Files.createDirectories(temp.resolve("fake-bin"));
    Path program = Files.writeString(bin.resolve(name), "#!/bin/sh\n" + script + "\n");
    Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
    return new Binaries(bin + ":/usr/bin:/bin:/usr/sbin:/sbin", List.of());
  }

  @Test
  void aStoreThatDiesWhileStartingReportsItsExitCodeAndLogTail() throws Exception {
    Binaries binaries = fakeProgram("redis-server", "echo 'FATAL: bad config line 7'; exit 3");
    Path workRoot = temp.resolve("work");
    assertThatThrownBy(
            () ->
                Devstack.builder()
                    .stores(StoreKind.REDIS)
                    .workRoot(workRoot)
                    .binaries(binaries)
                    .start())
        .isInstanceOf(DevstackException.class)
        .hasMessageContaining("redis exited with code 3 while starting")
        .hasMessageContaining("FATAL: bad config line 7");
    try (var runs = Files.list(workRoot)) {
      assertThat(runs).isEmpty();
    }
  }

  @Test
  void aStoreThatNeverAnswersTimesOutAndIsKilled() throws Exception {
    Binaries binaries = fakeProgram("memcached", "echo started; exec sleep 599.25");
    Path workRoot = temp.resolve("work");
    long before = System.nanoTime();
    assertThatThrownBy(
            () ->
                Devstack.builder()
                    .stores(StoreKind.MEMCACHED)
                    .workRoot(workRoot)
                    .binaries(binaries)
                    .startupTimeout(Duration.ofSeconds(1))
                    .start())
        .isInstanceOf(DevstackException.class)
        .hasMessageContaining("memcached was not ready within 1 s")
        .hasMessageContaining("started");
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(20));
    assertThat(
            ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains("sleep 599.25")))
        .isEmpty();
  }

  @Test
  void postgresProgramsAreFoundInDebianFoldersAndThroughLinks() throws Exception {
    Path real = Files.createDirectories(temp.resolve("usr/lib/postgresql/15/bin"));
    for (String program : List.of("initdb", "postgres")) {
      Path p = Files.createFile(real.resolve(program));
      p.toFile().setExecutable(true);
    }
    assertThat(new Binaries("", List.of(real)).postgresBin()).isEqualTo(real.toRealPath());

    Path linked = Files.createDirectories(temp.resolve("local/bin"));
    Files.createSymbolicLink(linked.resolve("initdb"), real.resolve("initdb"));
    assertThat(new Binaries(linked.toString(), List.of()).postgresBin())
        .isEqualTo(real.toRealPath());
  }

  @Test
  void containersModeSaysWhyItCannotRun() {
    String before = System.getProperty(Devstack.STACK_PROPERTY);
    System.setProperty(Devstack.STACK_PROPERTY, "containers");
    try {
      assertThatThrownBy(() -> Devstack.builder().workRoot(temp).start())
          .isInstanceOf(DevstackException.class)
          .hasMessageContaining("-Dtidemark.stack=containers");
      if (!Containers.dockerReachable(System.getenv("DOCKER_HOST"))) {
        assertThatThrownBy(() -> Devstack.builder().workRoot(temp).start())
            .hasMessageContaining("no Docker engine reachable");
      }
      System.setProperty(Devstack.STACK_PROPERTY, "kubernetes");
      assertThatThrownBy(() -> Devstack.builder().workRoot(temp).start())
          .hasMessageContaining("kubernetes is not valid: use local");
    } finally {
      if (before == null) {
        System.clearProperty(Devstack.STACK_PROPERTY);
      } else {
        System.setProperty(Devstack.STACK_PROPERTY, before);
      }
    }
  }

  @Test
  void storeNamesParseStrictly() {
    assertThat(StoreKind.of("Postgres")).isEqualTo(StoreKind.POSTGRES);
    assertThat(StoreKind.of("memcached")).isEqualTo(StoreKind.MEMCACHED);
    assertThatThrownBy(() -> StoreKind.of("mongo"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown store 'mongo'");
  }

  @Test
  void infoRecordsFormTheirAddressesAndHideThePassword() {
    PostgresInfo pg = new PostgresInfo("127.0.0.1", 5433, "tidemark", "tidemark", "secret");
    assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5433/tidemark");
    assertThat(pg.toString()).doesNotContain("secret");
    assertThat(new ElasticsearchInfo("127.0.0.1", 9201).httpUrl())
        .isEqualTo("http://127.0.0.1:9201");
    assertThat(new RedisInfo("127.0.0.1", 6380).uri()).isEqualTo("redis://127.0.0.1:6380");
    assertThat(new MemcachedInfo("127.0.0.1", 11212).address()).isEqualTo("127.0.0.1:11212");
  }

  @Test
  void freePortsAreNeverHandedOutTwice() {
    int a = Ports.free();
    int b = Ports.free();
    assertThat(a).isNotEqualTo(b).isPositive();
  }

  @Test
  void deadlineStopsPollingWhenItRunsOut() throws Exception {
    AtomicInteger checks = new AtomicInteger();
    assertThat(Deadline.in(Duration.ofMillis(50)).await(() -> checks.incrementAndGet() < 0))
        .isFalse();
    assertThat(checks.get()).isGreaterThan(1);
    assertThat(Deadline.in(Duration.ofSeconds(5)).await(() -> checks.incrementAndGet() > 3))
        .isTrue();
  }

  @Test
  void tailKeepsTheLastLines() throws Exception {
    Path log = Files.writeString(temp.resolve("x.log"), "one\ntwo\nthree\n");
    assertThat(Host.tail(log, 2)).isEqualTo("two" + System.lineSeparator() + "three");
    assertThat(Host.tail(temp.resolve("missing.log"), 2)).contains("does not exist");
  }
}
