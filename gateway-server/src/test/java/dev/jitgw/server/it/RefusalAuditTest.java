package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Requests refused before the policy leave a {@code refusal} record, without their query. */
class RefusalAuditTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension final GatewayHarness harness = new GatewayHarness();

  @Test
  void anUnauthenticatedRequestIsRecordedAsARefusal() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(harness.baseUrl() + "/v1/messages?note=do-not-record-me"))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(401);
    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !harness.gateway().auditLog().exchange(id).isEmpty());
    JsonNode record =
        JSON.readTree(new String(harness.gateway().auditLog().exchange(id).get(0), UTF_8));
    assertThat(record.get("type").asText()).isEqualTo("refusal");
    assertThat(record.get("stage").asText()).isEqualTo("authentication");
    assertThat(record.get("error_code").asText()).isEqualTo("missing_credential");
    assertThat(record.get("path").asText()).isEqualTo("/v1/messages");
    assertThat(record.toString()).doesNotContain("do-not-record-me");
    // Not an exchange that reached the policy: no request record, nothing left open.
    assertThat(harness.gateway().auditLog().exchange(id)).hasSize(1);
  }
}
