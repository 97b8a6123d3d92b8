/** Tidemark connectors/contract. */
package io.tidemark.connector.contract;
