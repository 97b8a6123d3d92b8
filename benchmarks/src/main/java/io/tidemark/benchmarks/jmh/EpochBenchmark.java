package io.tidemark.benchmarks.jmh;

import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Cutting an epoch: 1,000 changes over 100 hot keys coalesced to 100 writes. The score counts
 * {@code add} calls per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EpochBenchmark {

  static final int CHANGES = 1000;
  static final int KEYS = 100;

  final Write[] writes = new Write[CHANGES];

  public EpochBenchmark() {
    for (int i = 0; i < CHANGES; i++) {
      writes[i] = Write.upsert("ads", Integer.toString(i % KEYS), Map.of("price", i));
    }
  }

  @Benchmark
  @OperationsPerInvocation(CHANGES)
  public Epoch addCoalescing() {
    Epoch.Builder builder = Epoch.builder("listings");
    for (Write write : writes) {
      builder.add(write);
    }
    return builder.build(Version.of(CHANGES));
  }
}
