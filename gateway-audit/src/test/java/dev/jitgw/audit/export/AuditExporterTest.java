package dev.jitgw.audit.export;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.store.AuditRecord;
import dev.jitgw.audit.store.RocksAuditLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports written from the live store verify offline, whole or from a later record on. */
class AuditExporterTest {
  @TempDir Path dataDir;
  @TempDir Path exports;
  private RocksAuditLog log;

  @BeforeEach
  void open() throws Exception {
    log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                dataDir, "test.jitgw/audit", Duration.ofHours(1), Clock.systemUTC()));
    append(2_500);
  }

  @AfterEach
  void close() {
    log.close();
  }

  private void append(int count) {
    // submitted together, so group commit writes them in a few synced batches
    List<java.util.concurrent.CompletableFuture<Long>> pending = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      ObjectNode fields = AuditRecord.fields().put("n", i);
      pending.add(log.append(new AuditRecord(AuditRecord.MASKING, "ex_" + (i % 7), fields)));
    }
    pending.forEach(java.util.concurrent.CompletableFuture::join);
  }

  @Test
  void aWholeExportVerifiesAndNamesItsSizeAndRoot() throws Exception {
    Path out = exports.resolve("all");
    AuditExporter.Exported exported = AuditExporter.export(log, out, 0, -1);

    assertThat(exported.treeSize()).isEqualTo(2_500);
    VerifyResult result = ExportVerifier.verify(out, Optional.empty());
    assertThat(result.ok()).as(result.message()).isTrue();
    assertThat(((VerifyResult.Verified) result).treeSize()).isEqualTo(2_500);
    assertThat(Files.readAllLines(out.resolve(ExportDirectory.RECORDS), UTF_8)).hasSize(2_500);
  }

  @Test
  void anExportFromALaterRecordCarriesThePrefixAndVerifiesAgainstAnEarlierCheckpoint()
      throws Exception {
    Path first = exports.resolve("first");
    AuditExporter.export(log, first, 0, 999);
    append(100);
    Path second = exports.resolve("second");
    AuditExporter.export(log, second, 1_500, -1);

    assertThat(second.resolve(ExportDirectory.PREFIX)).exists();
    VerifyResult result = ExportVerifier.verify(second, Optional.empty());
    assertThat(result.ok()).as(result.message()).isTrue();
    assertThat(((VerifyResult.Verified) result).treeSize()).isEqualTo(2_600);
    // the auditor kept the checkpoint of the first export; it lies before this export's start,
    // so consistency cannot be shown from the second export alone: fail closed
    VerifyResult withPrevious =
        ExportVerifier.verify(second, Optional.of(first.resolve(ExportDirectory.CHECKPOINT)));
    assertThat(withPrevious.ok()).isFalse();

    Path whole = exports.resolve("whole");
    AuditExporter.export(log, whole, 0, -1);
    VerifyResult consistent =
        ExportVerifier.verify(whole, Optional.of(first.resolve(ExportDirectory.CHECKPOINT)));
    assertThat(consistent.ok()).as(consistent.message()).isTrue();
  }

  @Test
  void anEditedRecordInAnExportIsCaught() throws Exception {
    Path out = exports.resolve("edited");
    AuditExporter.export(log, out, 0, -1);
    Path records = out.resolve(ExportDirectory.RECORDS);
    List<String> lines = Files.readAllLines(records, UTF_8);
    lines.set(100, lines.get(100).replace("\"n\":100", "\"n\":101"));
    Files.writeString(records, String.join("\n", lines) + "\n", UTF_8);

    VerifyResult result = ExportVerifier.verify(out, Optional.empty());
    assertThat(result.ok()).isFalse();
    assertThat(result.message()).contains("101"); // line 101 holds seq 100
  }

  @Test
  void anEmptyOrOutOfRangeExportIsRefused() {
    assertThatThrownBy(() -> AuditExporter.export(log, exports.resolve("x"), 2_000, 3_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not in the log");
  }
}
