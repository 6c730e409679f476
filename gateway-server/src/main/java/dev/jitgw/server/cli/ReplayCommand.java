package dev.jitgw.server.cli;

import dev.jitgw.audit.replay.ExchangeTimeline;
import dev.jitgw.audit.replay.Replayer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jitgw replay}: print a response as its caller received it, with its timing. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Print the response of one exchange as the caller received it, with its original timing",
      "scaled by --speed; from the live store, or with --export from an export directory alone."
    })
final class ReplayCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "EXCHANGE_ID", description = "As in the jitgw-exchange-id header.")
  String exchangeId;

  @Option(
      names = "--speed",
      paramLabel = "N",
      description = "1 = original timing (default), 2 = twice as fast, 0 = no waiting.")
  double speed = 1;

  @Option(names = "--export", paramLabel = "DIR", description = "Replay from this export.")
  Path export;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Default: $JITGW_DATA_DIR.")
  Path dataDir;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (speed < 0 || Double.isNaN(speed) || Double.isInfinite(speed)) {
      spec.commandLine().getErr().println("jitgw replay: --speed must be 0 or more");
      return 2;
    }
    ExchangeTimeline timeline;
    try {
      if (export != null) {
        timeline = Replayer.findInExport(export, exchangeId);
      } else {
        try (AuditCommand.Reader reader = new AuditCommand.Reader(dataDir)) {
          List<byte[]> records = reader.log.exchange(exchangeId);
          if (records.isEmpty()) {
            throw new NoSuchElementException("no exchange " + exchangeId + " in the audit log");
          }
          timeline = ExchangeTimeline.ofRecords(records);
        }
      }
    } catch (NoSuchElementException | IOException e) {
      spec.commandLine().getErr().println("jitgw replay: " + e.getMessage());
      return 1;
    }
    // The body goes to stdout byte for byte; no character set touches it.
    PrintStream out = System.out;
    Replayer.atSpeed(speed).replay(timeline, out);
    out.flush();
    timeline
        .outcome()
        .ifPresent(
            outcome ->
                spec.commandLine()
                    .getErr()
                    .println(
                        "\n[jitgw replay] "
                            + outcome.outcome()
                            + outcome.error().map(e -> ": " + e).orElse("")));
    return 0;
  }
}
