/** Tidemark snapshot-protocol. */
package io.tidemark.protocol;
