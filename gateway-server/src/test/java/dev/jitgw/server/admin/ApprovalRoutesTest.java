package dev.jitgw.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.approval.ApprovalService;
import dev.jitgw.policy.approval.FileApprovalStore;
import dev.jitgw.policy.approval.Grant;
import dev.jitgw.policy.approval.GrantStore;
import dev.jitgw.policy.approval.Subject;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/grants} pages with an opaque cursor and refuses unknown parameters. */
class ApprovalRoutesTest {
  private static final Instant NOW = Instant.parse("2026-11-29T05:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Identity ADMIN =
      new Identity(
          "root",
          "https://idp.test",
          List.of("jitgw-admins"),
          Optional.empty(),
          Map.of(),
          NOW.plusSeconds(300),
          Optional.empty());

  @TempDir Path dataDir;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final List<Grant> grants = new ArrayList<>();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  /** Grants as listed by the store; three share their creation time. */
  private final GrantStore store =
      new GrantStore() {
        @Override
        public CompletionStage<Grant> grant(
            Subject subject, String rule, Instant until, String approvalId) {
          throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Grant> active(Subject subject, String rule, Instant now) {
          return Optional.empty();
        }

        @Override
        public List<Grant> list(Instant now) {
          return List.copyOf(grants);
        }

        @Override
        public CompletionStage<Optional<Grant>> revoke(String id) {
          return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public void close() {}
      };

  private ApprovalRoutes routes() {
    ApprovalService service =
        ApprovalService.builder(
                FileApprovalStore.open(dataDir, CLOCK, Runnable::run), store, scheduler)
            .clock(CLOCK)
            .previewMasker(java.util.function.UnaryOperator.identity())
            .build();
    return new ApprovalRoutes(service, List.of("jitgw-admins"), Runnable::run);
  }

  private static JsonNode get(ApprovalRoutes routes, String uri) {
    var request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    try {
      return routes.route(request, "/api/grants").orElseThrow().action().apply(ADMIN).join();
    } finally {
      request.release();
    }
  }

  @Test
  void grantsPageNewestFirstWithoutSkippingGrantsOfTheSameInstant() {
    for (int i = 0; i < 7; i++) {
      Instant created = NOW.minusSeconds(i < 3 ? 10 : 10 + i);
      grants.add(
          new Grant(
              "grt_" + i,
              new Subject("https://idp.test", "user" + i),
              "rule",
              created,
              NOW.plusSeconds(600),
              "apr_" + i));
    }
    ApprovalRoutes routes = routes();

    List<String> listed = new ArrayList<>();
    String next = null;
    int pages = 0;
    do {
      JsonNode page = get(routes, "/api/grants?limit=2" + (next == null ? "" : "&before=" + next));
      page.get("grants").forEach(grant -> listed.add(grant.get("id").asText()));
      next = page.get("next").isNull() ? null : page.get("next").asText();
      pages++;
    } while (next != null && pages < 10);

    assertThat(pages).isEqualTo(4);
    assertThat(listed)
        .containsExactly("grt_2", "grt_1", "grt_0", "grt_3", "grt_4", "grt_5", "grt_6");
    JsonNode all = get(routes, "/api/grants");
    assertThat(all.get("grants")).hasSize(7);
    assertThat(all.get("next").isNull()).isTrue();
  }

  @Test
  void unknownParametersAndForeignCursorsAreBadRequests() {
    ApprovalRoutes routes = routes();
    for (String query : List.of("?state=pending", "?before=grt_1", "?limit=0")) {
      var request =
          new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api/grants" + query);
      try {
        assertThatThrownBy(() -> routes.route(request, "/api/grants"))
            .as(query)
            .isInstanceOfSatisfying(
                GatewayException.class,
                e -> assertThat(e.error().code()).isEqualTo(ErrorCode.BAD_REQUEST));
      } finally {
        request.release();
      }
    }
  }
}
