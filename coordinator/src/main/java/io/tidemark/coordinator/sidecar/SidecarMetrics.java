package io.tidemark.coordinator.sidecar;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The sidecar's own meters: requests by endpoint and status, and time per endpoint. */
final class SidecarMetrics {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

  void record(String endpoint, int status, long nanos) {
    counters
        .computeIfAbsent(
            endpoint + ' ' + status,
            k ->
                Counter.builder("tidemark.sidecar.requests")
                    .description("HTTP requests answered by the sidecar")
                    .tag("endpoint", endpoint)
                    .tag("status", Integer.toString(status))
                    .register(registry))
        .increment();
    timers
        .computeIfAbsent(
            endpoint,
            k ->
                Timer.builder("tidemark.sidecar.request.duration")
                    .description("time to answer a request")
                    .tag("endpoint", endpoint)
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  String scrape() {
    return registry.scrape();
  }
}
