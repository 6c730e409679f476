package dev.jitgw.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code jitgw}: the launcher's entry point; every capability is a subcommand. */
@Command(
    name = "jitgw",
    mixinStandardHelpOptions = true,
    versionProvider = JitgwCommand.Version.class,
    description = "Just-in-time access gateway for the Claude API.",
    subcommands = {
      ServeCommand.class,
      DemoCommand.class,
      PolicyCommand.class,
      KeysCommand.class,
      AuditCommand.class,
      ReplayCommand.class,
      ApprovalsCommand.class,
      GrantsCommand.class,
      TokenCommand.class,
      BackupCommand.class,
      CommandLine.HelpCommand.class
    })
public final class JitgwCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // Netty's default leak detection samples one buffer in 128 and, for those, records a stack
    // trace when the buffer is released as well as when it is made; under load those close-time
    // traces were 2% of the event loops' time (perf). Leaks are still found and reported with
    // where the buffer was made; -Dio.netty.leakDetection.trackClose=true brings the traces back.
    if (System.getProperty("io.netty.leakDetection.trackClose") == null) {
      System.setProperty("io.netty.leakDetection.trackClose", "false");
    }
    System.exit(newCommandLine().execute(args));
  }

  /** The configured command line, also used by tests. */
  public static CommandLine newCommandLine() {
    return new CommandLine(new JitgwCommand())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setUsageHelpAutoWidth(true);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = JitgwCommand.class.getPackage().getImplementationVersion();
      return new String[] {"jitgw " + (version == null ? "(development build)" : version)};
    }
  }
}
