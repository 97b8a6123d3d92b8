package io.tidemark.connector.elasticsearch;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import io.tidemark.protocol.Version;
import io.tidemark.protocol.store.VersionRange;

/**
 * The version filters, built on the order-preserving encoding of {@link Layout#encode}. Bounds are
 * sent as decimal strings, which a {@code long} field parses exactly; the client's numeric range
 * takes doubles, which would round 64-bit values.
 */
final class Filters {

  private Filters() {}

  /**
   * The documents visible at {@code at}: the rule of {@link VersionRange#visibleAt} as a query,
   * {@code _tm_from <= at AND _tm_to > at}.
   */
  static Query visibleAt(Version at) {
    String stored = Long.toString(Layout.encode(at));
    return Query.of(
        q ->
            q.bool(
                b ->
                    b.filter(f -> f.range(r -> r.term(t -> t.field(Layout.FROM).lte(stored))))
                        .filter(f -> f.range(r -> r.term(t -> t.field(Layout.TO).gt(stored))))));
  }

  /** The current documents: {@code _tm_to = open}. */
  static Query current() {
    return Query.of(q -> q.term(t -> t.field(Layout.TO).value(FieldValue.of(Layout.OPEN))));
  }

  /**
   * The documents an epoch at {@code version} must close: open across it, {@code _tm_from < version
   * < _tm_to}.
   */
  static Query openAcross(Version version) {
    String stored = Long.toString(Layout.encode(version));
    return Query.of(
        q ->
            q.bool(
                b ->
                    b.filter(f -> f.range(r -> r.term(t -> t.field(Layout.FROM).lt(stored))))
                        .filter(f -> f.range(r -> r.term(t -> t.field(Layout.TO).gt(stored))))));
  }

  /** The documents no snapshot at or after {@code horizon} reads: {@code _tm_to <= horizon}. */
  static Query closedBy(Version horizon) {
    String stored = Long.toString(Layout.encode(horizon));
    return Query.of(q -> q.range(r -> r.term(t -> t.field(Layout.TO).lte(stored))));
  }
}
