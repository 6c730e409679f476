package dev.jitgw.core.config;

/**
 * A setting that cannot be used. The message names where it came from (file and line, environment
 * variable or flag) and what is wrong, so start-up can stop with it as the only explanation.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
