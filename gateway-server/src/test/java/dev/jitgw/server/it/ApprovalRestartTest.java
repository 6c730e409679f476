package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.policy.approval.FileApprovalStore;
import dev.jitgw.policy.testing.TestIdentityProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approvals pending when the gateway stops (docs/approvals.md, "The gateway stops"): after a
 * SIGKILL the restarted gateway marks them {@code abandoned}, records that in the audit log, and a
 * retry opens a new approval; a graceful stop answers the held callers 503 {@code shutting_down}.
 * Nothing held ever reaches the upstream.
 */
class ApprovalRestartTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HELD_BODY =
      "{\"model\":\"claude-test-1\",\"max_tokens\":16,"
          + "\"tools\":[{\"type\":\"bash_20250124\",\"name\":\"bash\"}],"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"clean the build cache\"}]}";

  @TempDir Path dir;

  private TestIdentityProvider identityProvider;
  private FakeClaudeUpstream upstream;
  private final List<Process> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private Path policy;
  private int port;
  private int adminPort;

  @BeforeEach
  void start() throws Exception {
    identityProvider = new TestIdentityProvider();
    upstream = new FakeClaudeUpstream();
    port = ChildProcess.freePort();
    adminPort = ChildProcess.freePort();
    policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        """
        version: 1
        rules:
          - name: shell-needs-approval
            when: request.tools.exists(t, t.name == "bash")
            approve: {approvers: [security], timeout: 10m}
          - name: everyone
            when: "true"
            allow: {}
        """);
  }

  @AfterEach
  void stop() {
    processes.forEach(Process::destroyForcibly);
    upstream.close();
    identityProvider.close();
  }

  /** A real {@code jitgw serve} process, as {@link CrashRecoveryTest} starts one. */
  private Process startGateway() throws Exception {
    Path log = dir.resolve("gateway-" + processes.size() + ".log");
    Map<String, String> settings =
        ChildProcess.settings(dir, port, adminPort, upstream.url(), identityProvider.issuer());
    settings.put("JITGW_POLICY_FILE", policy.toString());
    Process process = ChildProcess.serve(List.of(), settings, dir.resolve("native"), log);
    processes.add(process);
    ChildProcess.awaitReady(http, process, adminPort, log);
    return process;
  }

  private HttpResponse<String> admin(String path, String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path));
    if (!token.isEmpty()) {
      request.header("authorization", "Bearer " + token);
    }
    return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private String approver() {
    return identityProvider.token().subject("bob").groups("security").sign();
  }

  private String alice() {
    return identityProvider.token().subject("alice").groups("eng").sign();
  }

  /** The pending approvals as the admin API lists them, once there are {@code count}. */
  private JsonNode pending(int count) {
    JsonNode[] page = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () -> {
              page[0] =
                  JSON.readTree(admin("/api/approvals?state=pending", approver()).body())
                      .get("approvals");
              return page[0].size() == count;
            });
    return page[0];
  }

  @Test
  void afterKillNineAPendingApprovalIsAbandonedAndRecordedAndARetryOpensANewOne() throws Exception {
    Process first = startGateway();
    JsonNode held;
    try (Socket socket = new Socket("127.0.0.1", port)) {
      send(socket, HELD_BODY, alice(), false);
      held = pending(1).get(0);
      assertThat(held.get("rule").asText()).isEqualTo("shell-needs-approval");
      first.destroyForcibly(); // SIGKILL while the request is held
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    String approvalId = held.get("id").asText();
    String exchangeId = held.get("exchange_id").asText();

    startGateway();

    HttpResponse<String> after = admin("/api/approvals/" + approvalId, approver());
    assertThat(after.statusCode()).isEqualTo(200);
    JsonNode abandoned = JSON.readTree(after.body());
    assertThat(abandoned.get("state").asText()).isEqualTo("abandoned");
    assertThat(abandoned.get("decided_at").isNull()).isFalse();
    assertThat(abandoned.get("decisions")).isEmpty();

    // The audit log says so, under the exchange that opened the approval.
    String adminToken = identityProvider.token().subject("root").groups("jitgw-admins").sign();
    HttpResponse<String> exchange = admin("/api/exchanges/" + exchangeId, adminToken);
    assertThat(exchange.statusCode()).isEqualTo(200);
    List<String> approvalRecords = new ArrayList<>();
    for (JsonNode record : JSON.readTree(exchange.body()).get("records")) {
      if (record.get("type").asText().equals("approval")) {
        assertThat(record.get("approval_id").asText()).isEqualTo(approvalId);
        approvalRecords.add(record.get("event").asText() + ":" + record.get("state").asText());
      }
    }
    assertThat(approvalRecords).containsExactly("requested:pending", "decided:abandoned");

    // The same request again (an SDK retrying) opens a new approval: the old one cannot answer.
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      send(socket, HELD_BODY, alice(), false);
      JsonNode retry = pending(1).get(0);
      assertThat(retry.get("id").asText()).isNotEqualTo(approvalId);
      assertThat(retry.get("body_sha256").asText())
          .isEqualTo(abandoned.get("body_sha256").asText());
      HttpResponse<String> denied =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:"
                              + adminPort
                              + "/api/approvals/"
                              + retry.get("id").asText()
                              + "/deny"))
                  .header("authorization", "Bearer " + approver())
                  .header("content-type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"reason\": \"not after a crash\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(denied.statusCode()).isEqualTo(200);
      String answer = RawHttp.readOneResponse(socket.getInputStream());
      assertThat(RawHttp.status(answer)).isEqualTo(403);
      assertThat(answer).contains("approval_denied").contains("not after a crash");
    }
    assertThat(upstream.requests()).as("nothing held reached the upstream").isEmpty();
  }

  @Test
  void aGracefulStopAnswersHeldCallers503AndAbandonsTheirApprovals() throws Exception {
    GatewayHarness harness = new GatewayHarness(config -> config.withPolicyFile(policy));
    harness.beforeAll(null);
    try (Socket plain = new Socket("127.0.0.1", harness.port());
        Socket streaming = new Socket("127.0.0.1", harness.port())) {
      plain.setSoTimeout(30_000);
      streaming.setSoTimeout(30_000);
      String token = harness.identityProvider().token().subject("alice").groups("eng").sign();
      send(plain, HELD_BODY, token, false);
      send(streaming, HELD_BODY.replace("\"max_tokens\":16", "\"max_tokens\":17"), token, true);
      InputStream streamIn = streaming.getInputStream();
      assertThat(RawHttp.readUntil(streamIn, "\r\n\r\n")).startsWith("HTTP/1.1 200");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> harness.gateway().approvals().waiting() == 2);
      Path store = harness.gateway().config().dataDir().resolve("approvals");

      harness.gateway().close();

      String answer = RawHttp.readOneResponse(plain.getInputStream());
      assertThat(RawHttp.status(answer)).isEqualTo(503);
      assertThat(answer).contains("\"error_code\":\"shutting_down\"");
      String events = RawHttp.readUntil(streamIn, "\r\n0\r\n\r\n");
      assertThat(events).contains("event: error").contains("\"error_code\":\"shutting_down\"");

      JsonNode approvals =
          JSON.readTree(store.resolve(FileApprovalStore.FILE_NAME).toFile()).get("approvals");
      assertThat(approvals).hasSize(2);
      for (JsonNode approval : approvals) {
        assertThat(approval.get("state").asText()).isEqualTo("abandoned");
      }
      assertThat(harness.upstream().requests()).isEmpty();
    } finally {
      harness.afterAll(null);
    }
  }

  private static void send(Socket socket, String body, String token, boolean stream)
      throws IOException {
    RawHttp.sendMessages(
        socket, stream ? body.replace("{\"model\"", "{\"stream\":true,\"model\"") : body, token);
  }
}
