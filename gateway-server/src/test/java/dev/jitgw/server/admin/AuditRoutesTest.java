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
}
