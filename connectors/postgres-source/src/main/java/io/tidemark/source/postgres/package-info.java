/** Tidemark connectors/postgres-source. */
package io.tidemark.source.postgres;
