package dev.jitgw.server.demo;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.HostPort;
import dev.jitgw.core.config.IdentityConfig;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.config.UpstreamConfig;
import dev.jitgw.server.GatewayServer;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jitgw demo}: the real gateway ({@link GatewayServer}, unchanged) wired to a development
 * issuer it trusts through its normal issuer configuration, the sample policy, and — when {@code
 * ANTHROPIC_API_KEY} is unset — a simulated Claude upstream that says it is one.
 *
 * <p>Shutdown order ({@link #close()}): the gateway first (it drains in-flight exchanges, which may
 * still be reading from the simulated upstream, and closes the audit log), then the simulated
 * upstream, then the issuer.
 */
public final class Demo implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Demo.class);

  /**
   * Which policy the demo runs.
   *
   * @param source the file, or the built-in policy
   * @param sample whether it is the sample {@code config/policy.yaml}
   * @param notice when it is not the policy asked for, why
   */
  public record PolicyInForce(String source, boolean sample, Optional<String> notice) {}

  private final DevIssuer issuer;
  private final SimulatedClaude simulated;
  private final GatewayServer gateway;
  private final PolicyInForce policy;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();

  private Demo(
      DevIssuer issuer, SimulatedClaude simulated, GatewayServer gateway, PolicyInForce policy) {
    this.issuer = issuer;
    this.simulated = simulated;
    this.gateway = gateway;
    this.policy = policy;
  }

  /**
   * Starts the issuer, the simulated upstream (only without {@code ANTHROPIC_API_KEY}) and the
   * gateway; stops what it started when a later step fails.
   *
   * @throws ConfigException when the gateway refuses its configuration (a bad {@code --policy})
   */
  public static Demo start(DemoOptions options) {
    return start(options, options.policyFile() == null ? samplePolicy() : Optional.empty());
  }

  /** As {@link #start(DemoOptions)}, with the sample policy found elsewhere (tests). */
  static Demo start(DemoOptions options, Optional<Path> samplePolicy) {
    requireNonNull(options, "options");
    requireNonNull(samplePolicy, "samplePolicy");
    List<AutoCloseable> started = new ArrayList<>();
    try {
      DevIssuer issuer = DevIssuer.start(options.issuerPort(), options.clock());
      started.add(issuer);
      String realKey = options.environment().get("ANTHROPIC_API_KEY");
      SimulatedClaude simulated = null;
      Map<String, String> gatewayEnvironment;
      URI upstreamUrl;
      if (realKey == null || realKey.isBlank()) {
        // A key of the demo's own, known to the gateway and the simulated upstream only: the
        // gateway injects it exactly as it would inject a real one.
        String simulatedKey = "sk-ant-simulated-" + UUID.randomUUID();
        simulated = SimulatedClaude.start(simulatedKey, options.deltaInterval());
        started.add(simulated);
        gatewayEnvironment = Map.of("ANTHROPIC_API_KEY", simulatedKey);
        upstreamUrl = URI.create(simulated.url());
      } else {
        gatewayEnvironment = options.environment();
        upstreamUrl = UpstreamConfig.DEFAULT_URL;
      }
      GatewayConfig base =
          GatewayConfig.defaults()
              .withDataDir(options.dataDir())
              .withListen(
                  new HostPort("127.0.0.1", options.port()),
                  new HostPort("127.0.0.1", options.adminPort()))
              .withIdentity(
                  IdentityConfig.defaults().withIssuers(List.of(IssuerConfig.of(issuer.issuer()))));
      base = base.withUpstream(base.upstream().withUrl(upstreamUrl));
      Path requested = options.policyFile();
      PolicyInForce policy;
      GatewayServer gateway;
      if (requested != null) {
        // A policy the user named: refused like serve refuses it, no fallback.
        gateway = startGateway(base.withPolicyFile(requested), gatewayEnvironment, options);
        policy = new PolicyInForce(requested.toString(), false, Optional.empty());
      } else {
        Optional<Path> sample = samplePolicy;
        if (sample.isEmpty()) {
          gateway = startGateway(base, gatewayEnvironment, options);
          policy =
              new PolicyInForce(
                  "built-in (every authenticated caller allowed)",
                  false,
                  Optional.of(
                      "the sample config/policy.yaml was not found next to the jar or in the"
                          + " current directory; pass --policy FILE to use one"));
        } else {
          GatewayServer withSample;
          PolicyInForce inForce;
          try {
            withSample =
                startGateway(base.withPolicyFile(sample.get()), gatewayEnvironment, options);
            inForce = new PolicyInForce(sample.get().toString(), true, Optional.empty());
          } catch (ConfigException e) {
            if (!e.getMessage().startsWith("policy file " + sample.get())) {
              throw e;
            }
            // The sample may ask for more than this build enforces (masking, say). The gateway
            // refuses such a policy rather than run it partly; the demo says so and runs the
            // built-in policy instead of not starting at all.
            log.warn("demo: the sample policy was refused: {}", e.getMessage());
            withSample = startGateway(base, gatewayEnvironment, options);
            inForce =
                new PolicyInForce(
                    "built-in (every authenticated caller allowed)",
                    false,
                    Optional.of(
                        "the sample policy was refused, so its rules are NOT in force: "
                            + e.getMessage()));
          }
          gateway = withSample;
          policy = inForce;
        }
      }
      return new Demo(issuer, simulated, gateway, policy);
    } catch (Exception e) {
      // Exception, not RuntimeException: a listener that cannot bind rethrows the native
      // IOException unchecked, and what was started must stop in that case too.
      RuntimeException failure =
          e instanceof RuntimeException runtime
              ? runtime
              : new IllegalStateException(e.getMessage(), e);
      for (int i = started.size() - 1; i >= 0; i--) {
        try {
          started.get(i).close();
        } catch (Exception suppressed) {
          failure.addSuppressed(suppressed);
        }
      }
      throw failure;
    }
  }

  private static GatewayServer startGateway(
      GatewayConfig config, Map<String, String> environment, DemoOptions options) {
    return GatewayServer.builder(config).environment(environment).clock(options.clock()).start();
  }

  /**
   * The sample {@code config/policy.yaml} of the checkout this code runs from (the jar sits in
   * {@code gateway-server/target/}), else of the current directory.
   */
  static Optional<Path> samplePolicy() {
    List<Path> candidates = new ArrayList<>();
    try {
      Path codeSource =
          Path.of(Demo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path dir = codeSource.getParent(); dir != null; dir = dir.getParent()) {
        candidates.add(dir.resolve("config").resolve("policy.yaml"));
        if (candidates.size() == 4) {
          break;
        }
      }
    } catch (URISyntaxException | RuntimeException e) {
      log.debug("demo: the jar's location is unknown", e);
    }
    candidates.add(Path.of("config", "policy.yaml"));
    return candidates.stream()
        .filter(Files::isRegularFile)
        .map(p -> p.toAbsolutePath().normalize())
        .findFirst();
  }

  public GatewayServer gateway() {
    return gateway;
  }

  public DevIssuer issuer() {
    return issuer;
  }

  /** The simulated upstream; empty when the real one is used. */
  public Optional<SimulatedClaude> simulatedUpstream() {
    return Optional.ofNullable(simulated);
  }

  public PolicyInForce policy() {
    return policy;
  }

  /** The gateway's base URL for callers (what {@code ANTHROPIC_BASE_URL} is set to). */
  public String baseUrl() {
    return "http://127.0.0.1:" + gateway.dataPlaneAddress().getPort();
  }

  public String adminUrl() {
    return "http://127.0.0.1:" + gateway.adminAddress().getPort();
  }

  /** The commands the demo prints, with a fresh token for {@code dev}. */
  public DemoGuide guide() {
    return new DemoGuide(this, issuer.mint(DemoUser.DEV));
  }

  /** Completes when {@link #close()} has finished. */
  public CompletableFuture<Void> terminationFuture() {
    return terminated;
  }

  /** Drains and stops the gateway, then the simulated upstream and the issuer; idempotent. */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      terminated.join();
      return;
    }
    try {
      gateway.close();
    } finally {
      if (simulated != null) {
        simulated.close();
      }
      issuer.close();
      terminated.complete(null);
    }
  }
}
