/** Tidemark examples. */
package io.tidemark.examples;
