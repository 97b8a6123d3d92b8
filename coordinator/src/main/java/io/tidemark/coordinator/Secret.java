package io.tidemark.coordinator;

/** A configuration value that must never reach a log: its {@code toString} is masked. */
public record Secret(String value) {

  @Override
  public String toString() {
    return value == null || value.isEmpty() ? "" : "****";
  }
}
