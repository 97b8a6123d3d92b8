/**
 * Real PostgreSQL, Elasticsearch, Redis and Memcached on free loopback ports for the demo and the
 * integration tests. Start with {@link io.tidemark.devstack.Devstack#shared()} (one stack per JVM)
 * or {@link io.tidemark.devstack.Devstack#builder()} (a stack of one's own).
 */
package io.tidemark.devstack;
