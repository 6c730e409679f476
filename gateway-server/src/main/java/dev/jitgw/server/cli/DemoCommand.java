package dev.jitgw.server.cli;

import static java.util.Objects.requireNonNull;

import dev.jitgw.server.demo.Demo;
import dev.jitgw.server.demo.DemoOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jitgw demo}: a newcomer's tour on one machine (contract section 1): the gateway with a
 * development issuer, the sample policy and, without {@code ANTHROPIC_API_KEY}, a simulated
 * upstream; prints a ready token and commands, then runs like {@code serve} until SIGTERM/SIGINT.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run a demo gateway on 127.0.0.1: a development token issuer, the sample policy"
          + " (config/policy.yaml) and, when ANTHROPIC_API_KEY is unset, a simulated Claude"
          + " upstream that says it is one. Prints a ready token and curl and SDK commands, then"
          + " runs until SIGTERM/SIGINT (in-flight requests drain, as with serve).",
      "Reads no config file and no JITGW_* variable; data goes to --data-dir, not ./data."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "" + DemoOptions.DEFAULT_PORT,
      description = "Data-plane port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      defaultValue = "" + DemoOptions.DEFAULT_ADMIN_PORT,
      description = "Admin port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(
      names = "--issuer-port",
      paramLabel = "PORT",
      defaultValue = "" + DemoOptions.DEFAULT_ISSUER_PORT,
      description =
          "Development issuer port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int issuerPort;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      defaultValue = "demo-data",
      description = "Data directory (default: ./${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--policy",
      paramLabel = "FILE",
      description = "Policy file (default: the sample config/policy.yaml).")
  Path policy;

  private final Map<String, String> environment;
  private final Consumer<Demo> whileRunning;

  /** The launcher's: the process environment; runs until a signal stops it. */
  DemoCommand() {
    this(System.getenv(), null);
  }

  /**
   * For tests: the environment to read {@code ANTHROPIC_API_KEY} from, and what to do while the
   * demo runs instead of waiting for a signal (the demo is closed after it returns).
   */
  DemoCommand(Map<String, String> environment, Consumer<Demo> whileRunning) {
    this.environment = requireNonNull(environment, "environment");
    this.whileRunning = whileRunning;
  }

  @Override
  public Integer call() {
    DemoOptions options =
        DemoOptions.defaults(environment)
            .withPorts(port, adminPort, issuerPort)
            .withDataDir(dataDir)
            .withPolicyFile(policy);
    Demo demo;
    try {
      demo = Demo.start(options);
    } catch (RuntimeException e) {
      int code = ServeCommand.startUpFailed(spec, e);
      if (code == 1) {
        // Most likely a port in use (another demo, or serve): say how to pick others.
        spec.commandLine()
            .getErr()
            .println(
                "jitgw: ports "
                    + port
                    + ", "
                    + adminPort
                    + " and "
                    + issuerPort
                    + " on 127.0.0.1 must be free; choose others with --port, --admin-port and"
                    + " --issuer-port (0 picks a free one)");
      }
      return code;
    }
    demo.guide().print(spec.commandLine().getOut());
    if (whileRunning == null) {
      ServeCommand.runUntilSignalled(demo::close, demo.terminationFuture());
    } else {
      try {
        whileRunning.accept(demo);
      } finally {
        demo.close();
      }
    }
    return 0;
  }
}
