package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jitgw.core.config.ApprovalsConfig;
import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.ConfigLoader;
import dev.jitgw.policy.approval.Approval;
import dev.jitgw.server.GatewayServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The approval webhook as the gateway wires it (docs/approvals.md, "Notifications"): its URL comes
 * from a secret reference in the environment, a held request and its decision each post a
 * Slack-shaped message, and a literal URL in the config is refused at load.
 */
class ApprovalWebhookWiringTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HOOK_PATH = "/services/T000/B000/secret-token";
  private static final String VARIABLE = "JITGW_TEST_APPROVAL_WEBHOOK";
  private static final URI ADMIN_URL = URI.create("https://jitgw-admin.example.com");

  private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
  private final HttpServer webhook = startWebhook();

  @RegisterExtension
  final GatewayHarness harness =
      new GatewayHarness(
              config ->
                  config
                      .withPolicyFile(policy())
                      .withApprovals(
                          new ApprovalsConfig(
                              new ApprovalsConfig.Webhook("env:" + VARIABLE, false),
                              ADMIN_URL,
                              null,
                              null,
                              null)))
          .withEnvironment(
              VARIABLE, "http://127.0.0.1:" + webhook.getAddress().getPort() + HOOK_PATH);

  @TempDir Path dir;

  private HttpServer startWebhook() {
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(HOOK_PATH, this::receive);
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void receive(HttpExchange exchange) throws IOException {
    received.add(
        exchange.getRequestMethod()
            + " "
            + exchange.getRequestHeaders().getFirst("content-type")
            + " "
            + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    exchange.sendResponseHeaders(200, -1);
    exchange.close();
  }

  @AfterEach
  void stopWebhook() {
    webhook.stop(0);
  }

  private static Path policy() {
    try {
      Path file = Files.createTempFile("jitgw-webhook-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: webhook-test-hold
              when: request.model == "claude-test-held"
              approve: {approvers: [security], timeout: 60s}
          """);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The text of the next message the webhook received. */
  private String nextText() throws Exception {
    String request = received.poll(30, TimeUnit.SECONDS);
    assertThat(request).as("a webhook request arrived").isNotNull();
    assertThat(request).startsWith("POST application/json");
    JsonNode payload = JSON.readTree(request.substring(request.indexOf('{')));
    assertThat(payload.size()).as("Slack's incoming-webhook shape: only text").isOne();
    return payload.get("text").asText();
  }

  @Test
  void aHeldRequestAndItsDecisionArePostedToTheWebhookFromTheEnvironment() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    CompletableFuture<HttpResponse<String>> held =
        http.sendAsync(
            HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                .header(
                    "authorization",
                    "Bearer "
                        + harness.identityProvider().token().subject("alice").groups("eng").sign())
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-test-held\",\"max_tokens\":16,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    String created = nextText();
    Approval approval =
        harness.gateway().approvals().list(Optional.of(Approval.State.PENDING), 10).get(0);
    String link = ADMIN_URL + "/ui/approvals/" + approval.id();
    assertThat(created)
        .startsWith("Approval needed: alice sent POST /v1/messages to claude-test-held")
        .contains("(rule webhook-test-hold)")
        .contains("Approvers: security")
        .contains("<" + link + "|Review " + approval.id() + ">");

    HttpResponse<String> decided =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(harness.adminUrl() + "/api/approvals/" + approval.id() + "/approve"))
                .header(
                    "authorization",
                    "Bearer "
                        + harness
                            .identityProvider()
                            .token()
                            .subject("bob")
                            .groups("security")
                            .sign())
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"reason\": \"fine by me\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(decided.statusCode()).isEqualTo(200);
    assertThat(held.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

    assertThat(nextText())
        .contains("<" + link + "|" + approval.id() + ">")
        .contains("for alice (rule webhook-test-hold)")
        .contains("approved by bob (\"fine by me\")");
    assertThat(received.poll(500, TimeUnit.MILLISECONDS)).as("one message per step").isNull();
  }

  @Test
  void aLiteralWebhookUrlIsRefusedAtConfigLoadWithoutEchoingIt() throws Exception {
    Path config = dir.resolve("jitgw.yaml");
    Files.writeString(
        config,
        "approvals:\n  webhook:\n    url: https://hooks.slack.com/services/T1/B2/leaked-token\n");
    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(config), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config + ", line 2")
        .hasMessageContaining("(approvals.webhook): url: a literal URL is refused")
        .hasMessageContaining("env:NAME or file:PATH")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("leaked-token"));
  }

  @Test
  void aWebhookVariableThatIsNotSetStopsStartUpNamingIt() {
    assertThatThrownBy(
            () ->
                GatewayServer.builder(harness.gateway().config().withDataDir(dir))
                    .environment(Map.of("ANTHROPIC_API_KEY", GatewayHarness.UPSTREAM_KEY))
                    .start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("approvals.webhook.url")
        .hasMessageContaining("env:" + VARIABLE)
        .hasMessageContaining("is not set");
  }
}
