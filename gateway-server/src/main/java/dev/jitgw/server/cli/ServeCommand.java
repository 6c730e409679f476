package dev.jitgw.server.cli;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.ConfigLoader;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.server.GatewayServer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jitgw serve}: runs the gateway until SIGTERM or SIGINT, then drains and stops. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the gateway until SIGTERM/SIGINT, then drain in-flight exchanges and stop.",
      "Settings, highest first: these flags, environment variables (JITGW_*), the config file,"
          + " built-in defaults."
    })
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Spec CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML config file (default: $JITGW_CONFIG, else none).")
  Path config;

  @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Data-plane address.")
  String listen;

  @Option(
      names = "--admin-listen",
      paramLabel = "HOST:PORT",
      description = "Admin API and UI address.")
  String adminListen;

  @Option(names = "--upstream-url", paramLabel = "URL", description = "Upstream Claude API URL.")
  String upstreamUrl;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory.")
  String dataDir;

  @Option(names = "--policy", paramLabel = "FILE", description = "Policy file.")
  String policy;

  @Override
  public Integer call() {
    Map<String, String> environment = System.getenv();
    GatewayConfig gatewayConfig;
    try {
      gatewayConfig = ConfigLoader.load(configFile(environment), environment, flags());
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("jitgw: " + e.getMessage());
      return 2;
    }
    GatewayServer server;
    try {
      server = GatewayServer.builder(gatewayConfig).environment(environment).start();
    } catch (RuntimeException e) {
      return startUpFailed(spec, e);
    }
    runUntilSignalled(server::close, server.terminationFuture());
    return 0;
  }

  /** Reports a failed start-up; the exit code: 2 for a refused configuration, else 1. */
  static int startUpFailed(CommandSpec spec, RuntimeException e) {
    if (e instanceof ConfigException) {
      spec.commandLine().getErr().println("jitgw: " + e.getMessage());
      return 2;
    }
    spec.commandLine().getErr().println("jitgw: cannot start: " + e.getMessage());
    log.debug("start-up failed", e);
    return 1;
  }

  /**
   * Waits until SIGTERM or SIGINT has stopped what runs: the JVM's shutdown hook calls {@code stop}
   * (which drains), and this thread returns once {@code stopped} completes. Shared with {@code
   * demo}.
   */
  static void runUntilSignalled(Runnable stop, CompletableFuture<Void> stopped) {
    Thread hook = new Thread(stop, "jitgw-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    stopped.join();
  }

  private Optional<Path> configFile(Map<String, String> environment) {
    if (config != null) {
      return Optional.of(config);
    }
    String fromEnvironment = environment.get("JITGW_CONFIG");
    return fromEnvironment == null || fromEnvironment.isBlank()
        ? Optional.empty()
        : Optional.of(Path.of(fromEnvironment.trim()));
  }

  private Map<String, String> flags() {
    Map<String, String> flags = new LinkedHashMap<>();
    flags.put("listen", listen);
    flags.put("admin_listen", adminListen);
    flags.put("upstream.url", upstreamUrl);
    flags.put("data_dir", dataDir);
    flags.put("policy_file", policy);
    return flags;
  }
}
