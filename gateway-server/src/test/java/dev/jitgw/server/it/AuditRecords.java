package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.audit.store.RocksAuditLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads one exchange's audit records from the running gateway's log. */
final class AuditRecords {
  private AuditRecords() {}

  /** The exchange's records, once its {@code response_end} is in the log (waits up to 10 s). */
  static List<JsonNode> ended(GatewayHarness harness, String exchangeId) throws Exception {
    RocksAuditLog log = harness.gateway().auditLog();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                log.exchange(exchangeId).stream()
                    .anyMatch(r -> new String(r, UTF_8).contains("\"type\":\"response_end\"")));
    List<JsonNode> records = new ArrayList<>();
    for (byte[] record : log.exchange(exchangeId)) {
      records.add(FakeClaudeUpstream.JSON.readTree(record));
    }
    return records;
  }

  static List<String> types(List<JsonNode> records) {
    return records.stream().map(r -> r.get("type").asText()).toList();
  }

  static JsonNode first(List<JsonNode> records, String type) {
    return records.stream()
        .filter(r -> r.get("type").asText().equals(type))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " record in " + types(records)));
  }

  static JsonNode end(List<JsonNode> records) {
    return records.get(records.size() - 1);
  }
}
