package dev.jitgw.server.demo;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * What {@link Demo#start} runs with.
 *
 * @param port data-plane port on 127.0.0.1 ({@code 0}: a free one)
 * @param adminPort admin port on 127.0.0.1 ({@code 0}: a free one)
 * @param issuerPort development issuer port on 127.0.0.1 ({@code 0}: a free one)
 * @param dataDir the demo's data directory, kept apart from {@code ./data}
 * @param policyFile the policy; null: the sample {@code config/policy.yaml}
 * @param environment where {@code ANTHROPIC_API_KEY} is looked up (the process environment, or a
 *     test's map); set and not blank means the real upstream
 * @param clock for the issuer's tokens and the gateway
 * @param deltaInterval the simulated upstream's pause between streamed text deltas
 */
public record DemoOptions(
    int port,
    int adminPort,
    int issuerPort,
    Path dataDir,
    Path policyFile,
    Map<String, String> environment,
    Clock clock,
    Duration deltaInterval) {
  public static final int DEFAULT_PORT = 8080;
  public static final int DEFAULT_ADMIN_PORT = 9090;
  public static final int DEFAULT_ISSUER_PORT = 8180;
  public static final Path DEFAULT_DATA_DIR = Path.of("demo-data");

  public DemoOptions {
    requireNonNull(dataDir, "dataDir");
    environment = Map.copyOf(requireNonNull(environment, "environment"));
    requireNonNull(clock, "clock");
    requireNonNull(deltaInterval, "deltaInterval");
    if (deltaInterval.isNegative()) {
      throw new IllegalArgumentException("deltaInterval: " + deltaInterval + " (expected: >= 0)");
    }
  }

  /** The defaults: ports 8080, 9090 and 8180, {@code ./demo-data}, the sample policy. */
  public static DemoOptions defaults(Map<String, String> environment) {
    return new DemoOptions(
        DEFAULT_PORT,
        DEFAULT_ADMIN_PORT,
        DEFAULT_ISSUER_PORT,
        DEFAULT_DATA_DIR,
        null,
        environment,
        Clock.systemUTC(),
        Duration.ofMillis(30));
  }

  public DemoOptions withPorts(int port, int adminPort, int issuerPort) {
    return new DemoOptions(
        port, adminPort, issuerPort, dataDir, policyFile, environment, clock, deltaInterval);
  }

  public DemoOptions withDataDir(Path dataDir) {
    return new DemoOptions(
        port, adminPort, issuerPort, dataDir, policyFile, environment, clock, deltaInterval);
  }

  public DemoOptions withPolicyFile(Path policyFile) {
    return new DemoOptions(
        port, adminPort, issuerPort, dataDir, policyFile, environment, clock, deltaInterval);
  }

  public DemoOptions withDeltaInterval(Duration deltaInterval) {
    return new DemoOptions(
        port, adminPort, issuerPort, dataDir, policyFile, environment, clock, deltaInterval);
  }
}
