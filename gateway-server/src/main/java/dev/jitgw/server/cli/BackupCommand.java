package dev.jitgw.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code jitgw backup}: asks a running gateway to back up its data directory (admins only); the
 * backup lands in {@code {data_dir}/backups/} on the gateway's machine.
 */
@Command(
    name = "backup",
    mixinStandardHelpOptions = true,
    description = {
      "Back up a running gateway's data directory (audit store as a RocksDB checkpoint, its key,",
      "approvals, grants, limit counters, signing keys) into {data_dir}/backups/<UTC time>/.",
      "Copy that directory off the machine; it opens as a data directory of its own."
    })
final class BackupCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin AdminApiClient api;

  @Override
  public Integer call() {
    return ApprovalsCommand.run(
        spec,
        out -> {
          JsonNode result = api.post("/api/backup", null).body();
          out.println(
              "backed up "
                  + result.path("audit_records").asLong()
                  + " audit records and "
                  + result.path("files").size()
                  + " files to "
                  + result.path("directory").asText());
        });
  }
}
