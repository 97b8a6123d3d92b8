/** Tidemark connectors/postgres. */
package io.tidemark.connector.postgres;
