package io.tidemark.connector.memcached;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.CASValue;
import net.spy.memcached.ConnectionFactory;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.ops.GetsOperation;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;
import net.spy.memcached.protocol.ascii.BaseGetOpImpl;

/**
 * spymemcached's client plus a multi-key {@code gets}: spymemcached sends one {@code gets} command
 * per key, while the text protocol takes many keys in one command. Measured here, one {@code gets}
 * of 100 keys costs about a fifth of 100 single ones per key, which is most of what a versioned
 * write costs beyond a plain {@code set}. Built on spymemcached's own ASCII get operation, routed
 * per server like its {@code getBulk}.
 */
final class BulkGetsClient extends MemcachedClient {

  /** Keys per {@code gets} command, and a bound on the command line's length. */
  private static final int KEYS_PER_COMMAND = 100;

  private static final int BYTES_PER_COMMAND = 8 * 1024;

  BulkGetsClient(ConnectionFactory factory, List<InetSocketAddress> addresses) throws IOException {
    super(factory, addresses);
  }

  /** What a bulk {@code gets} found: values with their CAS ids, and the keys it could not read. */
  record Found(Map<String, CASValue<byte[]>> values, Set<String> failed) {}

  /**
   * Reads every key with its CAS id, in one {@code gets} command per server and 100 keys. Keys
   * absent from {@link Found#values()} and not in {@link Found#failed()} are not in memcached.
   *
   * @param timeoutMillis how long to wait for all the answers; commands still unanswered then are
   *     cancelled and their keys reported failed
   */
  Found getsMany(Collection<String> keys, long timeoutMillis) throws InterruptedException {
    Map<String, CASValue<byte[]>> values = new ConcurrentHashMap<>();
    Set<String> failed = ConcurrentHashMap.newKeySet();
    Map<MemcachedNode, List<String>> byServer = new HashMap<>();
    for (String key : keys) {
      byServer.computeIfAbsent(mconn.getLocator().getPrimary(key), n -> new ArrayList<>()).add(key);
    }
    List<Operation> operations = new ArrayList<>();
    List<CountDownLatch> latches = new ArrayList<>();
    for (List<String> serverKeys : byServer.values()) {
      int from = 0;
      while (from < serverKeys.size()) {
        int to = from;
        int bytes = 0;
        while (to < serverKeys.size()
            && to - from < KEYS_PER_COMMAND
            && bytes < BYTES_PER_COMMAND) {
          bytes += serverKeys.get(to).length() + 1;
          to++;
        }
        List<String> batch = serverKeys.subList(from, to);
        CountDownLatch done = new CountDownLatch(1);
        Operation operation = new MultiGets(batch, new Collector(batch, values, failed, done));
        operations.add(operation);
        latches.add(done);
        mconn.enqueueOperation(batch.get(0), operation);
        from = to;
      }
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    for (int i = 0; i < latches.size(); i++) {
      long left = deadline - System.nanoTime();
      if (!latches.get(i).await(Math.max(0, left), TimeUnit.NANOSECONDS)) {
        operations.get(i).cancel(); // its Collector marks its keys failed
      }
    }
    return new Found(values, failed);
  }

  /** {@code gets k1 k2 ...}: spymemcached's ASCII get operation with the CAS-returning command. */
  private static final class MultiGets extends BaseGetOpImpl implements GetsOperation {
    MultiGets(Collection<String> keys, GetsOperation.Callback callback) {
      super("gets", callback, keys);
    }
  }

  /** Collects the values of one command; a command that fails marks all its keys failed. */
  private static final class Collector implements GetsOperation.Callback {
    private final List<String> keys;
    private final Map<String, CASValue<byte[]>> values;
    private final Set<String> failed;
    private final CountDownLatch done;
    private volatile boolean succeeded;

    Collector(
        List<String> keys,
        Map<String, CASValue<byte[]>> values,
        Set<String> failed,
        CountDownLatch done) {
      this.keys = keys;
      this.values = values;
      this.failed = failed;
      this.done = done;
    }

    @Override
    public void gotData(String key, int flags, long cas, byte[] data) {
      values.put(key, new CASValue<>(cas, data));
    }

    /** END when some key had a value, NOT_FOUND when none had: both are answers. */
    @Override
    public void receivedStatus(OperationStatus status) {
      succeeded = status.isSuccess() || status.getStatusCode() == StatusCode.ERR_NOT_FOUND;
    }

    @Override
    public void complete() {
      if (!succeeded) {
        failed.addAll(keys);
      }
      done.countDown();
    }
  }
}
