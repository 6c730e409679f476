package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.audit.replay.ExchangeTimeline;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the caller gets when the upstream misbehaves, and what the log keeps of it: a clear outcome
 * for the caller (the upstream's own error passed through, or the gateway's in the contract's
 * shape, as an SSE {@code error} event once a stream has started) and one ended audit record set
 * whose bytes are what the caller received.
 */
class UpstreamFaultsTest {
  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  static HttpResponse<byte[]> post(GatewayHarness harness, String model, boolean stream)
      throws Exception {
    return http.send(
        harness.messagesRequest(model, stream), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String id(HttpResponse<?> response) {
    return response.headers().firstValue("jitgw-exchange-id").orElseThrow();
  }

  /** The exchange's records: forwarded, answered with {@code status}, received bytes recorded. */
  private static List<JsonNode> audited(
      GatewayHarness harness, HttpResponse<byte[]> response, int status) throws Exception {
    List<JsonNode> records = AuditRecords.ended(harness, id(response));
    assertThat(AuditRecords.types(records))
        .startsWith("request", "decision", "response_head")
        .endsWith("response_end");
    assertThat(AuditRecords.first(records, "response_head").path("status").asInt())
        .isEqualTo(status);
    assertThat(ExchangeTimeline.of(records).body()).isEqualTo(response.body());
    return records;
  }

  /** Generous timeouts: the upstream's own answers, however slow or odd, reach the caller. */
  @Nested
  class Relayed {
    @RegisterExtension
    final GatewayHarness harness =
        GatewayHarness.withUpstreamTimeouts(
            Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofSeconds(20));

    @Test
    void resetAfterMessageStartEndsTheStreamWithAnSseErrorAndIsAuditedAsAnError() throws Exception {
      HttpResponse<byte[]> response = post(harness, "claude-test-reset", true);

      assertThat(response.statusCode()).isEqualTo(200);
      String text = new String(response.body(), UTF_8);
      assertThat(text).contains("event: message_start").contains("partial ");
      String tail = text.substring(text.lastIndexOf("event: "));
      assertThat(tail).startsWith("event: error\ndata: ");
      JsonNode error =
          FakeClaudeUpstream.JSON.readTree(tail.substring(tail.indexOf("data: ") + 6).trim());
      assertThat(error.path("type").asText()).isEqualTo("error");
      assertThat(error.path("request_id").asText()).isEqualTo(id(response));
      assertThat(error.path("error").path("type").asText()).isEqualTo("api_error");
      assertThat(error.path("error").path("details").path("error_code").asText())
          .isEqualTo("upstream_unavailable");

      List<JsonNode> records = audited(harness, response, 200);
      assertThat(AuditRecords.end(records).path("outcome").asText()).isEqualTo("error");
    }

    @Test
    void anInStreamOverloadedErrorIsRelayedAsTheUpstreamSentIt() throws Exception {
      HttpResponse<byte[]> response = post(harness, "claude-test-overloaded-stream", true);

      assertThat(response.statusCode()).isEqualTo(200);
      String text = new String(response.body(), UTF_8);
      assertThat(text)
          .contains("event: message_start")
          .endsWith("event: error\ndata: " + FakeClaudeUpstream.OVERLOADED + "\n\n");

      List<JsonNode> records = audited(harness, response, 200);
      // The gateway relayed the whole stream; the error is the upstream's, inside it.
      assertThat(AuditRecords.end(records).path("outcome").asText()).isEqualTo("complete");
    }

    @Test
    void a429WithRetryAfterPassesThroughUnchanged() throws Exception {
      HttpResponse<byte[]> response = post(harness, "claude-test-429", false);

      assertThat(response.statusCode()).isEqualTo(429);
      assertThat(response.headers().firstValue("retry-after")).hasValue("17");
      assertThat(response.headers().firstValue("anthropic-ratelimit-requests-remaining"))
          .hasValue("0");
      assertThat(new String(response.body(), UTF_8)).isEqualTo(FakeClaudeUpstream.RATE_LIMITED);

      List<JsonNode> records = audited(harness, response, 429);
      assertThat(AuditRecords.first(records, "response_head").path("headers").path("retry-after"))
          .hasToString("\"17\"");
      assertThat(AuditRecords.end(records).path("status").asInt()).isEqualTo(429);
    }

    @Test
    void a529OverloadedPassesThroughUnchanged() throws Exception {
      HttpResponse<byte[]> response = post(harness, "claude-test-529", false);

      assertThat(response.statusCode()).isEqualTo(529);
      assertThat(new String(response.body(), UTF_8)).isEqualTo(FakeClaudeUpstream.OVERLOADED);

      List<JsonNode> records = audited(harness, response, 529);
      assertThat(AuditRecords.end(records).path("status").asInt()).isEqualTo(529);
    }

    @Test
    void aSlowFirstByteWithinTheResponseTimeoutIsWaitedFor() throws Exception {
      for (boolean stream : new boolean[] {false, true}) {
        HttpResponse<byte[]> response = post(harness, "claude-test-slow-first-byte", stream);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(response.body(), UTF_8))
            .contains(stream ? "event: message_stop" : FakeClaudeUpstream.TEXT);
        List<JsonNode> records = audited(harness, response, 200);
        assertThat(AuditRecords.end(records).path("outcome").asText()).isEqualTo("complete");
      }
    }
  }

  /** Short timeouts: an upstream that goes quiet is cut off and the caller told why. */
  @Nested
  class TimedOut {
    @RegisterExtension
    final GatewayHarness harness =
        GatewayHarness.withUpstreamTimeouts(
            Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofMillis(500));

    @Test
    void noFirstByteWithinTheResponseTimeoutIs504AndAudited() throws Exception {
      HttpResponse<byte[]> response = post(harness, "claude-test-silent", false);

      assertThat(response.statusCode()).isEqualTo(504);
      JsonNode error = FakeClaudeUpstream.JSON.readTree(response.body());
      assertThat(error.path("request_id").asText()).isEqualTo(id(response));
      assertThat(error.path("error").path("type").asText()).isEqualTo("timeout_error");
      assertThat(error.path("error").path("details").path("error_code").asText())
          .isEqualTo("upstream_timeout");

      List<JsonNode> records = audited(harness, response, 504);
      assertThat(AuditRecords.end(records).path("outcome").asText()).isEqualTo("error");
      assertThat(AuditRecords.end(records).path("error").asText()).isEqualTo("upstream_timeout");
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.upstream().openConnections() == 0);
    }

    @Test
    void aStreamThatStallsEndsWithAnSseTimeoutErrorAndIsAudited() throws Exception {
      HttpResponse<byte[]> response = post(harness, "claude-test-stall", true);

      assertThat(response.statusCode()).isEqualTo(200);
      String text = new String(response.body(), UTF_8);
      assertThat(text).startsWith("event: message_start");
      String tail = text.substring(text.lastIndexOf("event: "));
      assertThat(tail).startsWith("event: error\ndata: ");
      JsonNode error =
          FakeClaudeUpstream.JSON.readTree(tail.substring(tail.indexOf("data: ") + 6).trim());
      assertThat(error.path("error").path("type").asText()).isEqualTo("timeout_error");
      assertThat(error.path("error").path("details").path("error_code").asText())
          .isEqualTo("upstream_timeout");

      List<JsonNode> records = audited(harness, response, 200);
      assertThat(AuditRecords.end(records).path("outcome").asText()).isEqualTo("error");
      // The stalled upstream connection is not kept: it cannot be reused mid-response.
      await().atMost(Duration.ofSeconds(10)).until(() -> harness.upstream().openConnections() == 0);
    }
  }

  /** A response timeout meant as "never": longer than a {@code long} of nanoseconds holds. */
  @Nested
  class Unbounded {
    @RegisterExtension
    final GatewayHarness harness =
        GatewayHarness.withUpstreamTimeouts(
            Duration.ofSeconds(5), Duration.ofDays(1_000_000), Duration.ofSeconds(20));

    @Test
    void aResponseTimeoutPastWhatNanosecondsHoldIsNoTimeoutAtAll() throws Exception {
      assertThat(post(harness, "claude-test-1", false).statusCode()).isEqualTo(200);
      assertThat(post(harness, "claude-test-slow-first-byte", true).statusCode()).isEqualTo(200);
    }
  }
}
