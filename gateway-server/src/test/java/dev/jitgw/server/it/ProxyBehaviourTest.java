package dev.jitgw.server.it;

import static dev.jitgw.server.it.GatewayHarness.UPSTREAM_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.core.exchange.ExchangeId;
import dev.jitgw.server.it.FakeClaudeUpstream.Recorded;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What crosses the gateway and what does not, seen from both ends. */
class ProxyBehaviourTest {
  @RegisterExtension static final GatewayHarness harness = new GatewayHarness();

  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    request.header("authorization", "Bearer " + harness.token());
    return http.send(
        request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void pathAndQueryStringAreForwardedAsSent() throws Exception {
    HttpResponse<String> response =
        send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/echo?beta=true&x=a%20b")));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(harness.upstream().lastRequest().uri()).isEqualTo("/v1/echo?beta=true&x=a%20b");
  }

  @Test
  void headersCrossExceptHopByHopAndCredentials() throws Exception {
    int before = harness.upstream().requests().size();
    String body = "{\"model\":\"claude-test-1\",\"max_tokens\":5,\"messages\":[]}";
    String request =
        "POST /v1/messages HTTP/1.1\r\n"
            + "Host: gateway.example\r\n"
            + "Connection: keep-alive, x-hop\r\n"
            + "X-Hop: must-not-cross\r\n"
            + "Keep-Alive: timeout=5\r\n"
            + harness.authorizationLine()
            + "X-Api-Key: caller-api-key\r\n"
            + "Anthropic-Version: 2023-06-01\r\n"
            + "Anthropic-Beta: oauth-2025-04-20, files-api-2025-04-14\r\n"
            + "X-Custom: kept\r\n"
            + "X-Custom: twice\r\n"
            + "Content-Type: application/json\r\n"
            + "Content-Length: "
            + body.length()
            + "\r\n\r\n"
            + body;
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      socket.setSoTimeout(15_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      String response = RawHttp.readOneResponse(socket.getInputStream());
      assertThat(RawHttp.status(response)).isEqualTo(200);
    }
    assertThat(harness.upstream().requests()).hasSize(before + 1);
    Recorded seen = harness.upstream().lastRequest();
    assertThat(seen.headers().getAll("x-custom")).containsExactly("kept", "twice");
    assertThat(seen.headers().get("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(seen.headers().get("anthropic-beta")).isEqualTo("files-api-2025-04-14");
    assertThat(seen.headers().get("x-api-key")).isEqualTo(UPSTREAM_KEY);
    assertThat(seen.headers().contains("authorization")).isFalse();
    assertThat(seen.headers().contains("x-hop")).isFalse();
    assertThat(seen.headers().contains("keep-alive")).isFalse();
    assertThat(seen.headers().get("host")).isEqualTo("127.0.0.1:" + harness.upstream().port());
    assertThat(seen.body()).isEqualTo(body);
  }

  @Test
  void everyResponseCarriesAnExchangeId() throws Exception {
    HttpResponse<String> ok =
        send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/models")));
    HttpResponse<String> upstreamNotFound =
        send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/nothing-here")));
    HttpResponse<String> gatewayNotFound =
        send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/admin")));
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(upstreamNotFound.statusCode()).isEqualTo(404);
    assertThat(upstreamNotFound.body()).contains("no route");
    assertThat(gatewayNotFound.statusCode()).isEqualTo(404);
    for (HttpResponse<String> response : List.of(ok, upstreamNotFound, gatewayNotFound)) {
      String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
      assertThat(ExchangeId.isValid(id)).as(id).isTrue();
    }
    assertThat(ok.headers().firstValue("jitgw-exchange-id"))
        .isNotEqualTo(upstreamNotFound.headers().firstValue("jitgw-exchange-id"));
  }

  @Test
  void onlyPlainV1PathsAreServed() throws Exception {
    int before = harness.upstream().requests().size();
    for (String path :
        new String[] {
          "/", "/v2/messages", "/healthz", "/v1/../admin", "/v1/%2e%2e/x", "/v1/a%2Fb"
        }) {
      String response =
          RawHttp.sendAndReadUntilClose(
              harness.port(),
              "GET "
                  + path
                  + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  + harness.authorizationLine()
                  + "\r\n");
      assertThat(RawHttp.status(response)).as(path).isIn(400, 404);
      JsonNode error =
          FakeClaudeUpstream.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
      assertThat(error.path("type").asText()).isEqualTo("error");
      assertThat(error.path("error").path("details").path("error_code").asText())
          .as(path)
          .isIn("not_found", "bad_request");
    }
    assertThat(harness.upstream().requests()).hasSize(before);
  }

  @Test
  void keepAliveServesSeveralExchangesOnOneConnection() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 3; i++) {
        out.write(
            ("GET /v1/models HTTP/1.1\r\nHost: x\r\n" + harness.authorizationLine() + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        String response = RawHttp.readOneResponse(in);
        assertThat(RawHttp.status(response)).isEqualTo(200);
        assertThat(response).contains("claude-test-1");
      }
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      socket.setSoTimeout(15_000);
      socket
          .getOutputStream()
          .write(
              ("GET /v1/models HTTP/1.1\r\nHost: x\r\n"
                      + harness.authorizationLine()
                      + "\r\nGET /v1/nothing HTTP/1.1\r\nHost: x\r\n"
                      + harness.authorizationLine()
                      + "\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      assertThat(RawHttp.status(RawHttp.readOneResponse(in))).isEqualTo(200);
      assertThat(RawHttp.status(RawHttp.readOneResponse(in))).isEqualTo(404);
    }
  }

  @Test
  void callerDisconnectCancelsTheUpstreamRequest() throws Exception {
    int closedBefore = harness.upstream().closedEndlessStreams();
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      socket.setSoTimeout(15_000);
      RawHttp.sendStreamingRequest(socket, "claude-test-endless", harness.token());
      byte[] some = socket.getInputStream().readNBytes(4096);
      assertThat(new String(some, StandardCharsets.ISO_8859_1))
          .startsWith("HTTP/1.1 200")
          .contains("event: message_start");
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> harness.upstream().closedEndlessStreams() > closedBefore);
  }
}
