/** Tidemark connectors/redis. */
package io.tidemark.connector.redis;
