package dev.jitgw.policy.rules;

/**
 * A policy that cannot be used: the message names the file, the line, the rule and the problem (a
 * YAML mistake or the CEL compiler's error). A refused policy is refused whole.
 */
public final class PolicyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PolicyException(String message) {
    super(message);
  }

  public PolicyException(String message, Throwable cause) {
    super(message, cause);
  }
}
