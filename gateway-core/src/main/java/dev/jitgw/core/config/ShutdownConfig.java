package dev.jitgw.core.config;

import java.time.Duration;

/**
 * @param drainTimeout after SIGTERM, in-flight exchanges may finish for this long before their
 *     connections are closed
 */
public record ShutdownConfig(Duration drainTimeout) {

  public ShutdownConfig {
    drainTimeout = Durations.positive("drain_timeout", drainTimeout, Duration.ofSeconds(30));
  }

  public static ShutdownConfig defaults() {
    return new ShutdownConfig(null);
  }
}
