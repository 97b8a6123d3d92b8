/**
 * Tidemark's snapshot protocol: the values every module shares ({@link
 * io.tidemark.protocol.Version}, {@link io.tidemark.protocol.Stamp}, {@link
 * io.tidemark.protocol.SnapshotToken}), and the progress math that turns store watermarks into a
 * frontier ({@link io.tidemark.protocol.FrontierTracker}), a horizon ({@link
 * io.tidemark.protocol.RetentionHorizon}) and an answer to "may I read at this stamp?" ({@link
 * io.tidemark.protocol.ReadAdmission}). Depends on nothing but the JDK.
 */
package io.tidemark.protocol;
