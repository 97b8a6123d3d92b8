package io.tidemark.coordinator;

/** Opens the configured change source. */
final class Sources {

  private Sources() {}

  static ChangeSource postgres(StateDirectory state) {
    throw new UnsupportedOperationException("the PostgreSQL source is not wired yet");
  }
}
