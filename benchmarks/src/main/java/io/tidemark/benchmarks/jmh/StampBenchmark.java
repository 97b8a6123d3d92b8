package io.tidemark.benchmarks.jmh;

import io.tidemark.protocol.ReadAdmission;
import io.tidemark.protocol.SnapshotToken;
import io.tidemark.protocol.Stamp;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** The lattice operations the frontier and every read admission use. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StampBenchmark {

  Stamp a = SnapshotToken.parse("tm1:listings@0/16B3748,orders@2F/AB12CD34,users@1/A0");
  Stamp b = SnapshotToken.parse("tm1:listings@0/16B3700,orders@2F/AB12CD99,users@1/A0");
  Stamp horizon = SnapshotToken.parse("tm1:listings@0/1000,orders@2F/0,users@0/1");
  Stamp requested = SnapshotToken.parse("tm1:listings@0/16B3700,users@1/0");

  @Benchmark
  public Stamp meetThreeSources() {
    return a.meet(b);
  }

  @Benchmark
  public boolean coversThreeSources() {
    return a.covers(requested);
  }

  @Benchmark
  public ReadAdmission admitReadable() {
    return ReadAdmission.check(requested, a, horizon);
  }
}
