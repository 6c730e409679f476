package dev.jitgw.audit.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.export.AuditExporter;
import dev.jitgw.audit.export.ExportVerifier;
import dev.jitgw.audit.export.VerifyResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: the log lives on a 32 MiB tmpfs that the test fills. Appends fail (nothing is
 * acknowledged that is not on disk), the log reports itself unhealthy, and it recovers by itself
 * once space returns. Needs permission to mount a tmpfs (root, as in CI); skipped otherwise.
 */
class DiskFullTest {
  @TempDir Path work;
  private Path mount;
  private RocksAuditLog log;

  @BeforeEach
  void mountTmpfs() throws Exception {
    mount = Files.createDirectories(work.resolve("small-disk"));
    assumeTrue(
        run("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", mount.toString()) == 0,
        "cannot mount a tmpfs here");
  }

  @AfterEach
  void unmount() throws Exception {
    if (log != null) {
      log.close();
    }
    run("umount", "-l", mount.toString());
  }

  private static int run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getInputStream().readAllBytes();
    return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
  }

  private static AuditRecord record(int n) {
    ObjectNode fields = AuditRecord.fields().put("n", n).put("pad", "x".repeat(2_000));
    return new AuditRecord(AuditRecord.MASKING, "ex_disk", fields);
  }

  @Test
  void aFullDiskFailsAppendsClosedAndTheLogRecoversWhenSpaceReturns() throws Exception {
    log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                mount.resolve("data"), "test/audit", Duration.ofHours(1), Clock.systemUTC()));
    for (int i = 0; i < 10; i++) {
      log.append(record(i)).join();
    }
    Path filler = mount.resolve("filler");
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] block = new byte[64 * 1024];
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      // no space left on the device
    }

    // Keep writing until RocksDB meets the full disk (its WAL may hold a little slack).
    long acknowledged = log.size();
    Throwable failure = null;
    for (int i = 0; i < 10_000 && failure == null; i++) {
      try {
        log.append(record(100 + i)).join();
        acknowledged++;
      } catch (RuntimeException e) {
        failure = e.getCause();
      }
    }
    assertThat(failure).isInstanceOf(AuditUnavailableException.class);
    assertThat(log.healthy()).isFalse();
    assertThat(log.size()).isEqualTo(acknowledged);
    assertThatThrownBy(() -> log.append(record(-1)).join())
        .hasCauseInstanceOf(AuditUnavailableException.class);

    // Space returns while callers keep trying: the probe must not be starved by their failures.
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    Thread traffic =
        new Thread(
            () -> {
              while (!stop.get() && !log.healthy()) {
                log.append(record(-2)).exceptionally(e -> -1L).join();
              }
            });
    traffic.start();
    Files.delete(filler);
    try {
      await().atMost(Duration.ofSeconds(30)).until(log::healthy);
    } finally {
      stop.set(true);
      traffic.join();
    }
    acknowledged = log.size(); // the traffic thread's appends that landed after recovery
    long next = log.append(record(9_999)).join();
    assertThat(next).isEqualTo(acknowledged);

    Path export = work.resolve("export");
    AuditExporter.export(log, export, 0, -1);
    VerifyResult result = ExportVerifier.verify(export, Optional.empty());
    assertThat(result.ok()).as(result.message()).isTrue();
    assertThat(((VerifyResult.Verified) result).recordCount()).isEqualTo(acknowledged + 1);
  }
}
