package dev.jitgw.core.config;

import java.time.Duration;

/**
 * @param origin the log's name in its signed checkpoints (C2SP tlog-checkpoint origin) and the name
 *     of the checkpoint key; pick one unique to this deployment, e.g. {@code
 *     jitgw.example.com/audit}. It is fixed when the key is created on first start.
 * @param checkpointInterval a checkpoint is signed this often when the log grew (and at shutdown)
 */
public record AuditConfig(String origin, Duration checkpointInterval) {

  public static final String DEFAULT_ORIGIN = "jitgw.local/audit";

  public AuditConfig {
    origin = origin == null || origin.isBlank() ? DEFAULT_ORIGIN : origin.strip();
    if (origin.chars().anyMatch(c -> c <= ' ' || c == '+' || c > 0x7E)) {
      throw new IllegalArgumentException(
          "origin: '" + origin + "' (expected printable ASCII without spaces or '+')");
    }
    checkpointInterval =
        Durations.positive("checkpoint_interval", checkpointInterval, Duration.ofSeconds(5));
  }

  public static AuditConfig defaults() {
    return new AuditConfig(null, null);
  }
}
