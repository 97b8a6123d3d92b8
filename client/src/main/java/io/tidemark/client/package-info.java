/** Tidemark client. */
package io.tidemark.client;
