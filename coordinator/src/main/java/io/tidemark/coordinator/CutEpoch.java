package io.tidemark.coordinator;

import io.tidemark.protocol.store.Epoch;
import java.time.Instant;

/**
 * An epoch as cut from the source stream, before projection: its writes carry whole source rows
 * (JSON-shaped), keyed by collection and store key. Each lane projects it for its store.
 *
 * @param epoch the coalesced source-level writes and the epoch's version
 * @param transactions how many source transactions (progress events included) it holds
 * @param lastCommit commit time of its last transaction, for visibility-lag measurement
 */
record CutEpoch(Epoch epoch, int transactions, Instant lastCommit) {}
