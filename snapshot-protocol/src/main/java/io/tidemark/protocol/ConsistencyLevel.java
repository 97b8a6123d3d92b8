package io.tidemark.protocol;

/** How exact a read is, chosen per read (design §5). */
public enum ConsistencyLevel {
  /** An exact cut at the snapshot's stamp across all stores. The default. */
  SNAPSHOT,
  /** Causal: waits until the store's watermark covers the stamp, then reads its latest value. */
  AT_LEAST,
  /** No guarantee: the store's latest value. */
  LATEST
}
