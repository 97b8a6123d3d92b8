package io.tidemark.benchmarks.jmh;

import io.tidemark.protocol.Projection;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.Epoch;
import io.tidemark.protocol.store.Write;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The coordinator's per-change work before any store sees a change, on the benchmark's own rows (a
 * classified ad of five columns): the row → key and document mapping of a collection's projection
 * (every column, or a field selection with renames), and cutting an epoch of 1,000 such changes,
 * with all keys distinct ({@code keys=1000}) or 90% of them on 10 hot keys ({@code keys=hot}).
 * Scores count changes per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ProjectionBenchmark {

  static final int CHANGES = 1000;

  @Param({"distinct", "hot"})
  public String keys;

  final Projection identity = Projection.identity();
  final Projection selected =
      Projection.fields(Map.of("id", "id", "title", "title", "price_cents", "price"));
  final Map<String, Object>[] rows = rows();
  final Map<String, Object>[] keyColumns = rows();

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Map<String, Object>[] rows() {
    return new Map[CHANGES];
  }

  @Setup
  public void setUp() {
    String description =
        "vintage oak table great condition pickup only city garden chair lamp books boxed rare"
            + " tools drill camera lens guitar desk winter jacket kids blue phone new used";
    for (int i = 0; i < CHANGES; i++) {
      long id = keys.equals("hot") && i % 10 != 0 ? i % 10 : i;
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", id);
      row.put("title", "ad " + id + " v" + i + " bike");
      row.put("price_cents", i * 7);
      row.put("description", description);
      row.put("rev", (long) i);
      rows[i] = row;
      keyColumns[i] = Map.of("id", id);
    }
  }

  /** Every column under its own name, plus the key: what {@code cache: {}} does per change. */
  @Benchmark
  @OperationsPerInvocation(CHANGES)
  public int mapIdentity() {
    int size = 0;
    for (int i = 0; i < CHANGES; i++) {
      size += identity.document(rows[i]).size() + identity.key(keyColumns[i]).length();
    }
    return size;
  }

  /** A field selection with a rename, plus the key: {@code search: {fields: {...}}}. */
  @Benchmark
  @OperationsPerInvocation(CHANGES)
  public int mapSelectedFields() {
    int size = 0;
    for (int i = 0; i < CHANGES; i++) {
      size += selected.document(rows[i]).size() + selected.key(keyColumns[i]).length();
    }
    return size;
  }

  /** Mapping each change and coalescing them into one epoch (one store's share of the cutting). */
  @Benchmark
  @OperationsPerInvocation(CHANGES)
  public Epoch mapAndCutEpoch() {
    Epoch.Builder builder = Epoch.builder("listings");
    for (int i = 0; i < CHANGES; i++) {
      String key = identity.key(keyColumns[i]);
      Map<String, Object> document = identity.document(rows[i]);
      builder.add(Write.upsert("ads", key, document));
    }
    return builder.build(Version.of(CHANGES));
  }
}
