package io.tidemark.coordinator;

import java.util.List;

/**
 * The configuration is invalid. The message lists every problem found, each naming the key, the
 * value and what would be valid.
 */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  ConfigException(String source, List<String> problems) {
    super(
        "invalid configuration "
            + source
            + " ("
            + problems.size()
            + (problems.size() == 1 ? " problem" : " problems")
            + "):\n  - "
            + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
