/** Tidemark integration-tests. */
package io.tidemark.it;
