package dev.jitgw.server.approval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.audit.store.AuditRecord;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.exchange.ExchangeId;
import dev.jitgw.policy.approval.Approval;
import dev.jitgw.policy.approval.Subject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the log says of approvals the store abandoned at open (a kill -9 while they were held). */
class ApprovalAuditTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Clock FROZEN =
      Clock.fixed(Instant.parse("2026-11-29T05:00:00Z"), ZoneOffset.UTC);

  @TempDir Path dataDir;

  private static Approval approval(String exchangeId, Approval.State state) {
    Instant at = FROZEN.instant();
    return new Approval(
        "apr_" + exchangeId,
        state,
        new Subject("https://idp.test", "alice"),
        "alice",
        "shell-needs-approval",
        List.of("security"),
        2,
        Optional.empty(),
        new Approval.Request(
            "POST", "/v1/messages", "claude-x", 64, false, List.of("bash"), List.of(), "hi", 0.01),
        "0".repeat(64),
        exchangeId,
        at,
        at.plus(Duration.ofMinutes(10)),
        List.of(),
        state == Approval.State.PENDING ? Optional.empty() : Optional.of(at.plusSeconds(30)),
        state == Approval.State.PENDING ? 0 : 1);
  }

  /** The approval records of {@code exchangeId}, as {@code event:state[:recovered]}. */
  private static List<String> steps(RocksAuditLog log, String exchangeId) throws Exception {
    List<String> steps = new ArrayList<>();
    for (byte[] bytes : log.exchange(exchangeId)) {
      JsonNode record = JSON.readTree(bytes);
      if (record.get("type").asText().equals(AuditRecord.APPROVAL)) {
        steps.add(
            record.get("event").asText()
                + ":"
                + record.get("state").asText()
                + (record.path("recovered").asBoolean() ? ":recovered" : "")
                + ":"
                + record.get("approval").get("revision").asInt());
      }
    }
    return steps;
  }

  @Test
  void anAbandonedApprovalWhoseRequestedRecordWasLostGetsItBackBeforeItsDecision()
      throws Exception {
    try (RocksAuditLog log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                dataDir, "test.jitgw/audit", Duration.ofHours(1), FROZEN))) {
      String recorded = ExchangeId.next(FROZEN);
      String lost = ExchangeId.next(FROZEN);
      ApprovalAudit audit = new ApprovalAudit(log);
      // The first approval's requested record reached the log before the crash; the second's not.
      log.append(
              new AuditRecord(
                  AuditRecord.APPROVAL,
                  recorded,
                  ApprovalAudit.fields("requested", approval(recorded, Approval.State.PENDING))))
          .join();

      audit.abandonedAtOpen(
          List.of(
              approval(recorded, Approval.State.ABANDONED),
              approval(lost, Approval.State.ABANDONED)));

      Awaitility.await().until(() -> log.size() == 4);
      assertThat(steps(log, recorded))
          .containsExactly("requested:pending:0", "decided:abandoned:1");
      assertThat(steps(log, lost))
          .containsExactly("requested:pending:recovered:0", "decided:abandoned:1");
    }
  }
}
