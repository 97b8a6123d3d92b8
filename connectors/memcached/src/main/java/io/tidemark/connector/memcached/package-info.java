/** Tidemark connectors/memcached. */
package io.tidemark.connector.memcached;
