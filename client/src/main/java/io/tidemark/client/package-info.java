/**
 * Tidemark's read path for applications: consistent snapshots across the stores a PostgreSQL source
 * is copied into.
 *
 * <p>{@link io.tidemark.client.Tidemark} is the entry point (built once, shared); it hands out
 * {@link io.tidemark.client.Snapshot}s, which read keys ({@code get}: cache, then read database)
 * and searches at one stamp. Tokens travel between services in the {@code Tidemark-Snapshot} header
 * ({@link io.tidemark.client.SnapshotHeaders}, {@link io.tidemark.client.TidemarkServletFilter}).
 * Refusals are typed ({@link io.tidemark.client.TidemarkException} and its subclasses).
 *
 * <h2>Learning the frontier, and how stale it may be</h2>
 *
 * A {@link io.tidemark.client.FrontierSource} tells the frontier: in-process from a coordinator's
 * tracker (always the published frontier), or remotely from a sidecar's {@code GET /v1/frontier},
 * remembered for a short refresh interval (20 ms by default) so that thousands of snapshots per
 * second cost one request per interval. A remembered frontier is still a valid snapshot: published
 * frontiers never move back and every store holds every version up to them until the horizon passes
 * them (minutes). Staleness therefore only adds lag (at most the refresh interval plus one
 * request), never a wrong answer. Read-your-writes does not wait for a refresh: {@code
 * snapshotAtLeast} asks the sidecar ({@code POST /v1/snapshots} with {@code atLeast}) when the
 * remembered frontier does not cover the token, and the sidecar answers the moment it does. When
 * the sidecar cannot be reached, a remembered frontier is used up to {@code maxAge} (10 s), then
 * calls fail with {@link io.tidemark.client.StoreUnavailableException}.
 */
package io.tidemark.client;
