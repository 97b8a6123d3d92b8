package io.tidemark.benchmarks;

import io.tidemark.devstack.Devstack;
import io.tidemark.devstack.StoreKind;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the CPU goes during a measurement: each store server's process tree, and this JVM's threads
 * grouped by name (lanes, Debezium, the naive writers, the benchmark's writers), so a run can say
 * which part saturates the machine.
 */
final class CpuMeter {

  /** CPU time per server and per JVM thread at one moment. */
  record Reading(long wallNanos, Map<String, Long> servers, Map<Long, Long> threads, long jvm) {}

  private final Devstack stack;
  private final java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final Map<Long, String> names = new HashMap<>();

  CpuMeter(Devstack stack) {
    this.stack = stack;
  }

  Reading read() {
    Map<String, Long> servers = new TreeMap<>();
    for (StoreKind kind : StoreKind.values()) {
      long nanos = 0;
      for (ProcessHandle p : stack.store(kind).processTree()) {
        nanos += processCpuNanos(p.pid());
      }
      servers.put(kind.id(), nanos);
    }
    Map<Long, Long> perThread = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long cpu = threads.getThreadCpuTime(id);
      if (cpu < 0) {
        continue;
      }
      var info = threads.getThreadInfo(id);
      if (info != null) {
        names.put(id, info.getThreadName());
        perThread.put(id, cpu);
      }
    }
    long jvm = ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    return new Reading(System.nanoTime(), servers, perThread, jvm);
  }

  /**
   * Cores used between two readings, per server and per thread group; {@code writersNanos} is the
   * benchmark's writer threads' CPU (they end before the second reading).
   */
  Map<String, Double> coresBetween(Reading a, Reading b, long writersNanos) {
    double wall = b.wallNanos() - a.wallNanos();
    Map<String, Double> cores = new java.util.LinkedHashMap<>();
    for (var e : b.servers().entrySet()) {
      cores.put(
          "server " + e.getKey(), (e.getValue() - a.servers().getOrDefault(e.getKey(), 0L)) / wall);
    }
    Map<String, Long> groups = new TreeMap<>();
    long named = 0;
    for (var e : b.threads().entrySet()) {
      long delta = e.getValue() - a.threads().getOrDefault(e.getKey(), 0L);
      if (delta <= 0) {
        continue;
      }
      groups.merge(group(names.get(e.getKey())), delta, Long::sum);
      named += delta;
    }
    groups.merge("bench writers (load)", writersNanos, Long::sum);
    long jvm = b.jvm() - a.jvm();
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(groups.entrySet());
    sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    for (var e : sorted) {
      cores.put("jvm " + e.getKey(), e.getValue() / wall);
    }
    cores.put("jvm other (GC, JIT, ended threads)", Math.max(0, jvm - named - writersNanos) / wall);
    return cores;
  }

  /**
   * A process's CPU time and that of its children that ended (PostgreSQL backends of closed
   * connections), from {@code /proc/PID/stat}: utime + stime + cutime + cstime.
   */
  static long processCpuNanos(long pid) {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields after the command: state(3) ... utime(14) stime(15) cutime(16) cstime(17)
      long ticks =
          Long.parseLong(f[11])
              + Long.parseLong(f[12])
              + Long.parseLong(f[13])
              + Long.parseLong(f[14]);
      return ticks * (1_000_000_000L / CLOCK_TICKS);
    } catch (java.io.IOException | RuntimeException e) {
      return 0; // ended meanwhile
    }
  }

  /** Linux's USER_HZ: 100 on every common build. */
  private static final long CLOCK_TICKS = 100;

  /** A thread's group: its name with numbers replaced, e.g. {@code pool-#-thread-#}. */
  static String group(String name) {
    return name == null ? "?" : name.replaceAll("\\d+", "#").toLowerCase(Locale.ROOT);
  }

  static String format(Map<String, Double> cores, double minimum) {
    StringBuilder out = new StringBuilder();
    double total = 0;
    for (var e : cores.entrySet()) {
      total += e.getValue();
      if (e.getValue() >= minimum) {
        out.append(String.format(Locale.ROOT, "      %-44s %5.2f%n", e.getKey(), e.getValue()));
      }
    }
    out.append(String.format(Locale.ROOT, "      %-44s %5.2f%n", "total", total));
    return out.toString();
  }
}
