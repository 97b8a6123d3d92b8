/**
 * The HTTP sidecar (design §5): {@link io.tidemark.coordinator.sidecar.Sidecar} serves snapshots
 * and snapshot reads for any language, in-process beside the engine ({@code tidemark run}) or on
 * its own ({@code tidemark sidecar}, {@link io.tidemark.coordinator.sidecar.SidecarCommand}). Its
 * contract is the checked-in {@code openapi.json}, also served at {@code /v1/openapi.json}.
 */
package io.tidemark.coordinator.sidecar;
