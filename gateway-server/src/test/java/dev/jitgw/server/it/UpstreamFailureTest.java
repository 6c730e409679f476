package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The gateway's own errors when the upstream cannot serve, in the contract's shape. */
class UpstreamFailureTest {
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final String BODY =
      "{\"model\":\"%s\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  static HttpResponse<String> post(GatewayHarness harness, String model) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
            .header("content-type", "application/json")
            .header("x-api-key", harness.token())
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofString(BODY.formatted(model)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode error(HttpResponse<String> response) throws IOException {
    JsonNode body = FakeClaudeUpstream.JSON.readTree(response.body());
    assertThat(body.path("type").asText()).isEqualTo("error");
    assertThat(body.path("request_id").asText())
        .isEqualTo(response.headers().firstValue("jitgw-exchange-id").orElseThrow());
    return body.path("error");
  }

  static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Nested
  class Unreachable {
    @RegisterExtension
    final GatewayHarness harness =
        new GatewayHarness(
            config -> {
              try {
                return config.withUpstream(
                    config.upstream().withUrl(URI.create("http://127.0.0.1:" + closedPort())));
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });

    @Test
    void answers502UpstreamUnavailable() throws Exception {
      HttpResponse<String> response = post(harness, "claude-test-1");
      assertThat(response.statusCode()).isEqualTo(502);
      JsonNode error = error(response);
      assertThat(error.path("type").asText()).isEqualTo("api_error");
      assertThat(error.path("details").path("error_code").asText())
          .isEqualTo("upstream_unavailable");
      assertThat(error.path("message").asText()).contains("127.0.0.1").contains("retry later");
    }
  }

  @Nested
  class SlowHead {
    @RegisterExtension
    final GatewayHarness harness =
        GatewayHarness.withUpstreamTimeouts(
            Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofMinutes(1));

    @Test
    void answers504UpstreamTimeoutAndClosesTheUpstreamConnection() throws Exception {
      HttpResponse<String> response = post(harness, "claude-test-silent");
      assertThat(response.statusCode()).isEqualTo(504);
      JsonNode error = error(response);
      assertThat(error.path("type").asText()).isEqualTo("timeout_error");
      assertThat(error.path("details").path("error_code").asText()).isEqualTo("upstream_timeout");
      assertThat(harness.upstream().requests()).hasSize(1);
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> harness.upstream().openConnections() == 0);
    }
  }

  @Nested
  class NoUpstreamKey {
    @RegisterExtension final GatewayHarness harness = new GatewayHarness().withoutUpstreamKey();

    @Test
    void answers503NamingTheMissingSettingAndSendsNothing() throws Exception {
      HttpResponse<String> response = post(harness, "claude-test-1");
      assertThat(response.statusCode()).isEqualTo(503);
      JsonNode error = error(response);
      assertThat(error.path("details").path("error_code").asText())
          .isEqualTo("upstream_credential_missing");
      assertThat(error.path("message").asText()).contains("ANTHROPIC_API_KEY");
      assertThat(harness.upstream().requests()).isEmpty();
    }
  }

  @Nested
  class BodyCap {
    @RegisterExtension
    final GatewayHarness harness =
        new GatewayHarness(
            config ->
                config.withHttp(
                    config.http().withMaxBodySize(dev.jitgw.core.config.DataSize.ofKibibytes(1))));

    @Test
    void declaredLengthOverTheCapIs413() throws Exception {
      String big = "{\"model\":\"claude-test-1\",\"pad\":\"" + "x".repeat(2048) + "\"}";
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                  .header("authorization", "Bearer " + harness.token())
                  .POST(HttpRequest.BodyPublishers.ofString(big))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(413);
      JsonNode error = error(response);
      assertThat(error.path("type").asText()).isEqualTo("request_too_large");
      assertThat(error.path("details").path("error_code").asText()).isEqualTo("request_too_large");
      assertThat(harness.upstream().requests()).isEmpty();
    }

    @Test
    void chunkedBodyGrowingOverTheCapIs413() throws Exception {
      StringBuilder request =
          new StringBuilder(
              "POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  + harness.authorizationLine()
                  + "\r\n");
      for (int i = 0; i < 4; i++) {
        request.append("200\r\n").append("y".repeat(512)).append("\r\n");
      }
      request.append("0\r\n\r\n");
      String response = RawHttp.sendAndReadUntilClose(harness.port(), request.toString());
      assertThat(RawHttp.status(response)).isEqualTo(413);
      assertThat(response).contains("\"error_code\":\"request_too_large\"");
      assertThat(harness.upstream().requests()).isEmpty();
    }

    @Test
    void bodyAtTheCapPasses() throws Exception {
      String body = "{\"model\":\"claude-test-1\",\"pad\":\"";
      body = body + "z".repeat(1024 - body.length() - 2) + "\"}";
      assertThat(body).hasSize(1024);
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                  .header("authorization", "Bearer " + harness.token())
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(harness.upstream().lastRequest().body()).isEqualTo(body);
    }
  }
}
