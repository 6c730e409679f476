package dev.jitgw.server.cli;

import dev.jitgw.audit.export.AuditExporter;
import dev.jitgw.audit.export.ExportVerifier;
import dev.jitgw.audit.export.VerifyResult;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.config.GatewayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jitgw audit}: export the audit log and verify an export offline (contract section 7). */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Export the audit log, or verify an export offline.",
    subcommands = {AuditCommand.Export.class, AuditCommand.Verify.class})
final class AuditCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * Opens the log of the data directory read-only, beside a gateway that may be running (a RocksDB
   * secondary whose own files live in a temporary directory, removed on close).
   */
  static final class Reader implements AutoCloseable {
    final RocksAuditLog log;
    private final Path scratch;

    Reader(Path dataDirOverride) throws IOException {
      GatewayConfig config = CliConfig.load(dataDirOverride);
      this.scratch = Files.createTempDirectory("jitgw-audit-reader");
      try {
        this.log =
            RocksAuditLog.openReader(
                RocksAuditLog.Settings.inDataDirectory(
                    config.dataDir(),
                    config.audit().origin(),
                    config.audit().checkpointInterval(),
                    Clock.systemUTC()),
                scratch);
      } catch (IOException | RuntimeException e) {
        delete(scratch);
        throw e;
      }
    }

    @Override
    public void close() {
      log.close();
      delete(scratch);
    }

    private static void delete(Path dir) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a leftover temporary directory is harmless
      }
    }
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Write records.jsonl, checkpoint and verifier.key (and prefix.json when --from > 0)",
        "to DIR. Works while the gateway runs."
      })
  static final class Export implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Export here.")
    Path out;

    @Option(names = "--from", paramLabel = "SEQ", description = "First record (default 0).")
    long from;

    @Option(names = "--to", paramLabel = "SEQ", description = "Last record (default: the last).")
    long to = -1;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Default: $JITGW_DATA_DIR.")
    Path dataDir;

    @Override
    public Integer call() throws IOException {
      try (Reader reader = new Reader(dataDir)) {
        AuditExporter.Exported exported = AuditExporter.export(reader.log, out, from, to);
        spec.commandLine()
            .getOut()
            .println(
                "exported records "
                    + exported.from()
                    + ".."
                    + exported.to()
                    + " (tree size "
                    + exported.treeSize()
                    + ") to "
                    + out);
        return 0;
      } catch (IllegalArgumentException | IOException e) {
        spec.commandLine().getErr().println("jitgw audit export: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Check an export offline: the signature, every record's place and hash chain, the size",
        "and the root; exit 0 with the count and root, or 1 naming the first failure."
      })
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "An export directory.")
    Path directory;

    @Option(
        names = "--previous",
        paramLabel = "CHECKPOINT",
        description =
            "An earlier checkpoint you kept: also check this export is consistent with it.")
    Path previous;

    @Override
    public Integer call() throws IOException {
      VerifyResult result = ExportVerifier.verify(directory, Optional.ofNullable(previous));
      if (result instanceof VerifyResult.Verified verified) {
        spec.commandLine()
            .getOut()
            .println(
                "OK: "
                    + verified.recordCount()
                    + " record(s), tree size "
                    + verified.treeSize()
                    + ", root "
                    + verified.rootHex());
      } else {
        spec.commandLine().getErr().println("FAILED: " + result.message());
      }
      return result.exitCode();
    }
  }
}
