package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.anthropic.models.messages.MessageCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /metrics} on the admin listener: Prometheus text, no authentication. */
class MetricsTest {
  @RegisterExtension final GatewayHarness harness = new GatewayHarness();

  private String scrape() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(harness.adminUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
    return response.body();
  }

  /** One Messages call through the SDK; the fake upstream reports 12 input and 6 output tokens. */
  private void askSonnet() {
    harness
        .sdk()
        .messages()
        .create(
            MessageCreateParams.builder()
                .model("claude-sonnet-4-5")
                .maxTokens(16)
                .addUserMessage("hi")
                .build());
  }

  @Test
  void exchangesTokensUpstreamLatencyAndTheAuditLogAreCounted() throws Exception {
    askSonnet();

    String metrics = scrape();

    assertThat(metrics)
        .containsPattern(
            "jitgw_requests_total\\{decision=\"allow\",model=\"claude-sonnet\",outcome=\"complete\","
                + "route=\"messages\",status=\"200\"} 1\\.0")
        .containsPattern("jitgw_tokens_total\\{direction=\"out\",group=\"[^\"]+\"} 6\\.0")
        .containsPattern("jitgw_upstream_response_head_seconds_count 1")
        .containsPattern("jitgw_audit_request_record_seconds_count 1")
        .containsPattern("jitgw_audit_healthy 1\\.0")
        .containsPattern("jitgw_audit_tree_size [1-9]")
        .containsPattern("jitgw_cost_usd_total\\{group=\"[^\"]+\"} ")
        .contains("jvm_memory_used_bytes")
        .contains(
            "jitgw_jwks_refreshes_total{issuer=\""
                + harness.identityProvider().issuer()
                + "\",outcome=\"success\"} 1.0");
  }

  @Test
  void spendIsCountedPerGroupAtListPrices() throws Exception {
    askSonnet();

    dev.jitgw.core.exchange.PriceTable.Price sonnet =
        dev.jitgw.core.exchange.PriceTable.defaults().priceOf("claude-sonnet-4-5");
    double expected = (12 * sonnet.inputPerMillion() + 6 * sonnet.outputPerMillion()) / 1e6;
    java.util.regex.Matcher cost =
        java.util.regex.Pattern.compile("jitgw_cost_usd_total\\{group=\"([^\"]+)\"} (\\S+)")
            .matcher(scrape());
    assertThat(cost.find()).isTrue();
    assertThat(Double.parseDouble(cost.group(2))).isCloseTo(expected, within(1e-6));
    assertThat(expected).isPositive();
  }

  @Test
  void jwksFetchFailuresAreCountedPerIssuer() throws Exception {
    harness.identityProvider().jwksDown(true);
    HttpResponse<String> refused =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                    .header("authorization", "Bearer " + harness.token())
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).isEqualTo(503);

    assertThat(scrape())
        .containsPattern(
            "jitgw_jwks_refreshes_total\\{issuer=\""
                + java.util.regex.Pattern.quote(harness.identityProvider().issuer())
                + "\",outcome=\"failure\"} [1-9]")
        .doesNotContain("outcome=\"success\"");
  }
}
