package dev.jitgw.server.dataplane;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Refusals are recorded up to a burst, then at the refill rate; the rest are counted. */
class RefusalRecorderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final GatewayError UNAUTHENTICATED =
      GatewayError.of(ErrorCode.MISSING_CREDENTIAL, "no credential");

  @TempDir Path dataDir;

  @Test
  void aFloodIsRecordedAtTheBoundedRateAndTheNextRecordCountsWhatWasLeftOut() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    try (RocksAuditLog log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                dataDir, "test.jitgw/audit", Duration.ofHours(1), Clock.systemUTC()))) {
      RefusalRecorder refusals = new RefusalRecorder(log, now::get);
      int recorded = 0;
      for (int i = 0; i < RefusalRecorder.BURST + 50; i++) {
        if (refusals.record("ex_" + i, "authentication", "POST", "/v1/messages", UNAUTHENTICATED)) {
          recorded++;
        }
      }
      assertThat(recorded).isEqualTo(RefusalRecorder.BURST);

      now.addAndGet(1_000_000_000L); // one second: PER_SECOND more
      int afterASecond = 0;
      for (int i = 0; i < 100; i++) {
        if (refusals.record("ex_late_" + i, "request", "GET", "/v1/x", UNAUTHENTICATED)) {
          afterASecond++;
        }
      }
      assertThat(afterASecond).isEqualTo(RefusalRecorder.PER_SECOND);

      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> log.size() == RefusalRecorder.BURST + RefusalRecorder.PER_SECOND);
      List<JsonNode> records = new ArrayList<>();
      log.forEachRecord(
          0,
          log.size(),
          bytes -> {
            try {
              records.add(JSON.readTree(new String(bytes, UTF_8)));
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
      JsonNode firstLate =
          records.stream()
              .filter(r -> r.get("exchange_id").asText().equals("ex_late_0"))
              .findFirst()
              .orElseThrow();
      assertThat(firstLate.get("type").asText()).isEqualTo("refusal");
      assertThat(firstLate.get("dropped").asLong()).isEqualTo(50);
      assertThat(firstLate.get("error_code").asText()).isEqualTo("missing_credential");
      assertThat(firstLate.get("status").asInt()).isEqualTo(401);
      assertThat(records.get(0).has("dropped")).isFalse();
    }
  }
}
