package io.tidemark.benchmarks.jmh;

import io.tidemark.protocol.SnapshotToken;
import io.tidemark.protocol.Stamp;
import io.tidemark.protocol.Version;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Token text: parsed on every incoming read, formatted on every answer. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SnapshotTokenBenchmark {

  String oneSource = "tm1:listings@0/16B3748";
  String threeSources = "tm1:users@1/A0,listings@0/16B3748,orders@2F/AB12CD34";
  Stamp one = SnapshotToken.parse(oneSource);
  Stamp three = SnapshotToken.parse(threeSources);
  long next = 0x16B3748L;

  @Benchmark
  public Stamp parseOneSource() {
    return SnapshotToken.parse(oneSource);
  }

  @Benchmark
  public Stamp parseThreeSources() {
    return SnapshotToken.parse(threeSources);
  }

  /** A new stamp each time (a stamp caches its text), so this includes one {@code with}. */
  @Benchmark
  public String formatOneSource() {
    return SnapshotToken.format(one.with("listings", Version.of(++next)));
  }

  /** A new stamp each time (a stamp caches its text), so this includes one {@code with}. */
  @Benchmark
  public String formatThreeSources() {
    return SnapshotToken.format(three.with("orders", Version.of(++next)));
  }
}
