/** Tidemark coordinator. */
package io.tidemark.coordinator;
