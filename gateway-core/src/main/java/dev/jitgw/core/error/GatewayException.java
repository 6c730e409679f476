package dev.jitgw.core.error;

import static java.util.Objects.requireNonNull;

/**
 * Carries a {@link GatewayError} through a failed stage. Stack traces are not filled in: these are
 * expected outcomes (a denial, a bad token), not bugs.
 */
public final class GatewayException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient GatewayError error;

  public GatewayException(GatewayError error) {
    super(requireNonNull(error, "error").message(), null, false, false);
    this.error = error;
  }

  public GatewayException(ErrorCode code, String message) {
    this(GatewayError.of(code, message));
  }

  public GatewayError error() {
    return error;
  }
}
