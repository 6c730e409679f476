package dev.jitgw.policy.masking;

import java.util.List;

/**
 * The {@code masking} section of a policy is wrong. {@link #path()} locates the offending key
 * ({@code ["masking", "profiles", "pii", "detectors", "[1]"]}), for a line number.
 */
public final class MaskingPolicyException extends IllegalArgumentException {
  private final List<String> path;

  public MaskingPolicyException(List<String> path, String message) {
    super(String.join(".", path).replace(".[", "[") + ": " + message);
    this.path = List.copyOf(path);
  }

  public List<String> path() {
    return path;
  }
}
