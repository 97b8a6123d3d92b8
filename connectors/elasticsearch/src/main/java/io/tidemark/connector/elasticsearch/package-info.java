/** Tidemark connectors/elasticsearch. */
package io.tidemark.connector.elasticsearch;
