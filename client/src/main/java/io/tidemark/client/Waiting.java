package io.tidemark.client;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Threads for {@link FrontierSource#whenCovering}'s default, which has to block somewhere. */
final class Waiting {

  private static final AtomicInteger COUNT = new AtomicInteger();

  static final ExecutorService POOL =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "tidemark-frontier-wait-" + COUNT.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  private Waiting() {}
}
