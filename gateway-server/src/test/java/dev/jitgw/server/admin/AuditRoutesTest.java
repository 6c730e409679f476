package dev.jitgw.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.store.AuditRecord;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.ExchangeId;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/exchanges} paging over exchanges that all start in the same millisecond. */
class AuditRoutesTest {
  private static final Clock FROZEN =
      Clock.fixed(Instant.parse("2026-11-29T05:00:00.123Z"), ZoneOffset.UTC);

  @TempDir Path dataDir;

  private static AuditRecord request(String exchangeId) {
    ObjectNode fields = AuditRecord.fields();
    fields.putObject("identity").put("sub", "alice").put("iss", "https://idp.test");
    fields.put("method", "POST").put("path", "/v1/messages");
    return new AuditRecord(AuditRecord.REQUEST, exchangeId, fields);
  }

  @Test
  void pagesWithAnOpaqueCursorNeitherSkipNorRepeatExchangesOfOneMillisecond() throws Exception {
    try (RocksAuditLog log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                dataDir, "test.jitgw/audit", Duration.ofHours(1), FROZEN))) {
      List<String> written = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String id = ExchangeId.next(FROZEN);
        written.add(id);
        log.append(request(id)).join();
      }
      AuditRoutes routes = new AuditRoutes(log);
      String until = FROZEN.instant().plusSeconds(1).toString();

      List<String> listed = new ArrayList<>();
      String next = null;
      int pages = 0;
      do {
        String uri =
            "/api/exchanges?limit=5&until=" + until + (next == null ? "" : "&before=" + next);
        JsonNode page = routes.exchanges(new QueryStringDecoder(uri));
        page.get("exchanges").forEach(summary -> listed.add(summary.get("id").asText()));
        assertThat(page.has("next")).isTrue();
        next = page.get("next").isNull() ? null : page.get("next").asText();
        pages++;
      } while (next != null && pages < 10);

      assertThat(pages).as("5 + 5 + 2").isEqualTo(3);
      assertThat(listed).doesNotHaveDuplicates().hasSize(12);
      assertThat(new HashSet<>(listed)).isEqualTo(new HashSet<>(written));

      JsonNode exact = routes.exchanges(new QueryStringDecoder("/api/exchanges?limit=12"));
      assertThat(exact.get("exchanges")).hasSize(12);
      assertThat(exact.get("next").isNull()).as("no empty last page").isTrue();
    }
  }

  @Test
  void refusesUnknownParametersAndForeignCursors() throws Exception {
    try (RocksAuditLog log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                dataDir, "test.jitgw/audit", Duration.ofHours(1), FROZEN))) {
      AuditRoutes routes = new AuditRoutes(log);
      for (String query :
          List.of(
              "next_until=2026-11-29T05:00:00Z",
              "before=2026-11-29T05:00:00Z",
              "before="
                  + AuditRoutes.cursor(new dev.jitgw.audit.store.AuditLog.ListPosition(1, "x")),
              "before=bm90LWEtY3Vyc29y")) {
        assertThatThrownBy(
                () -> routes.exchanges(new QueryStringDecoder("/api/exchanges?" + query)))
            .as(query)
            .isInstanceOfSatisfying(
                GatewayException.class,
                e -> assertThat(e.error().code()).isEqualTo(ErrorCode.BAD_REQUEST));
      }
    }
  }

  private static AuditRecord request(String exchangeId, String model) {
    ObjectNode fields = AuditRecord.fields();
    fields.putObject("identity").put("sub", "alice").put("iss", "https://idp.test");
    fields.put("method", "POST").put("path", "/v1/messages").put("model", model);
    return new AuditRecord(AuditRecord.REQUEST, exchangeId, fields);
  }

  private static AuditRecord decision(String exchangeId, String decision) {
    ObjectNode fields = AuditRecord.fields();
    fields.put("decision", decision);
    return new AuditRecord(AuditRecord.DECISION, exchangeId, fields);
  }

  @Test
  void filtersByModelPrefixAndDecisionAcrossPages() throws Exception {
    try (RocksAuditLog log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                dataDir, "test.jitgw/audit", Duration.ofHours(1), FROZEN))) {
      List<String> sonnetAllowed = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        String id = ExchangeId.next(FROZEN);
        String model = i % 3 == 0 ? "claude-sonnet-4-5" : "claude-opus-4-1";
        String decided = i % 2 == 0 ? "allow" : "deny";
        log.append(List.of(request(id, model), decision(id, decided))).join();
        if (model.startsWith("claude-sonnet") && decided.equals("allow")) {
          sonnetAllowed.add(id);
        }
      }
      AuditRoutes routes = new AuditRoutes(log);
      String until = FROZEN.instant().plusSeconds(1).toString();

      List<String> listed = new ArrayList<>();
      String next = null;
      int pages = 0;
      do {
        JsonNode page =
            routes.exchanges(
                new QueryStringDecoder(
                    "/api/exchanges?model=claude-sonnet&decision=allow&limit=2&until="
                        + until
                        + (next == null ? "" : "&before=" + next)));
        page.get("exchanges")
            .forEach(
                summary -> {
                  assertThat(summary.get("model").asText()).startsWith("claude-sonnet");
                  assertThat(summary.get("decision").asText()).isEqualTo("allow");
                  listed.add(summary.get("id").asText());
                });
        next = page.get("next").isNull() ? null : page.get("next").asText();
        pages++;
      } while (next != null && pages < 20);

      assertThat(sonnetAllowed).hasSize(5);
      assertThat(listed).doesNotHaveDuplicates();
      assertThat(new HashSet<>(listed)).isEqualTo(new HashSet<>(sonnetAllowed));
      assertThatThrownBy(
              () -> routes.exchanges(new QueryStringDecoder("/api/exchanges?decision=maybe")))
          .isInstanceOf(GatewayException.class);
    }
  }
}
