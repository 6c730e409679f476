package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.PermissionDeniedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.ToolBash20250124;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.config.ApprovalsConfig;
import dev.jitgw.policy.approval.Approval;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Approval holds end to end (contract section 5): the official SDK waits on a held request while
 * approvers decide through the admin API; only approved requests reach the upstream; every step is
 * in the audit log.
 */
class ApprovalsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path POLICY = policy();

  @RegisterExtension
  final GatewayHarness harness =
      new GatewayHarness(
          config ->
              config
                  .withPolicyFile(POLICY)
                  .withApprovals(
                      new ApprovalsConfig(
                          null, null, Duration.ofMillis(300), null, Duration.ofMillis(200))));

  private final HttpClient http = HttpClient.newHttpClient();

  private static Path policy() {
    try {
      Path file = Files.createTempFile("jitgw-approvals-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: quick
              when: request.model == "claude-test-quick"
              approve: {approvers: [security], timeout: 1s}
            - name: many
              when: request.model == "claude-test-many"
              approve: {approvers: [security], timeout: 120s}
            - name: two-people
              when: request.model == "claude-test-two"
              approve: {approvers: [security], min_approvals: 2, timeout: 60s}
            - name: shell-needs-approval
              when: request.tools.exists(t, t.name == "bash")
              approve: {approvers: [security], timeout: 60s, grant: 10m}
            - name: everyone
              when: "true"
              allow: {}
          """);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String token(String subject, String... groups) {
    return harness.identityProvider().token().subject(subject).groups(groups).sign();
  }

  private AnthropicClient client(String subject, String... groups) {
    return AnthropicOkHttpClient.builder()
        .baseUrl(harness.baseUrl())
        .apiKey(token(subject, groups))
        .maxRetries(0)
        .timeout(Duration.ofSeconds(60))
        .build();
  }

  private static MessageCreateParams.Builder shell(String prompt) {
    return MessageCreateParams.builder()
        .model("claude-test-1")
        .maxTokens(64)
        .addUserMessage(prompt)
        .addTool(ToolBash20250124.builder().build());
  }

  private static MessageCreateParams params(String model) {
    return MessageCreateParams.builder().model(model).maxTokens(64).addUserMessage("hi").build();
  }

  /** The one pending approval, once the held request opened it. */
  private Approval pending() {
    return pending(1).get(0);
  }

  private List<Approval> pending(int count) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                harness.gateway().approvals().list(Optional.of(Approval.State.PENDING), 1000).size()
                    >= count);
    return harness.gateway().approvals().list(Optional.of(Approval.State.PENDING), 1000);
  }

  private HttpResponse<String> decide(String id, String verb, String token, String body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.adminUrl() + "/api/approvals/" + id + "/" + verb))
            .header("authorization", "Bearer " + token)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> decide(String id, String verb, String token) throws Exception {
    return decide(id, verb, token, "{\"reason\": \"checked with the team\"}");
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.adminUrl() + path))
            .header("authorization", "Bearer " + token)
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String errorCode(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body()).at("/error/details/error_code").asText();
  }

  private List<JsonNode> records(String exchangeId) throws IOException {
    RocksAuditLog log = harness.gateway().auditLog();
    List<JsonNode> records = new ArrayList<>();
    for (byte[] record : log.exchange(exchangeId)) {
      records.add(JSON.readTree(record));
    }
    return records;
  }

  private List<String> approvalEvents(String exchangeId) throws IOException {
    return records(exchangeId).stream()
        .filter(r -> r.get("type").asText().equals("approval"))
        .map(
            r -> r.get("event").asText() + ":" + r.path("state").asText(r.path("outcome").asText()))
        .toList();
  }

  @Test
  void aHeldRequestGoesUpstreamOnlyOnceApprovedAndEveryStepIsRecorded() throws Exception {
    int before = harness.upstream().requests().size();
    AnthropicClient alice = client("alice", "eng");
    CompletableFuture<Message> answer =
        CompletableFuture.supplyAsync(() -> alice.messages().create(shell("clean up").build()));

    Approval approval = pending();
    assertThat(approval.rule()).isEqualTo("shell-needs-approval");
    assertThat(approval.request().tools()).contains("bash");
    assertThat(answer).isNotDone();
    assertThat(harness.upstream().requests()).hasSize(before);

    // The caller sees its own approval; another engineer does not.
    assertThat(get("/api/approvals/" + approval.id(), token("alice", "eng")).statusCode())
        .isEqualTo(200);
    assertThat(get("/api/approvals/" + approval.id(), token("mallory", "eng")).statusCode())
        .isEqualTo(404);
    HttpResponse<String> listed = get("/api/approvals?state=pending", token("bob", "security"));
    assertThat(JSON.readTree(listed.body()).at("/approvals/0/id").asText())
        .isEqualTo(approval.id());

    HttpResponse<String> approved = decide(approval.id(), "approve", token("bob", "security"));
    assertThat(approved.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(approved.body()).get("state").asText()).isEqualTo("approved");

    Message message = answer.get();
    assertThat(message.content()).isNotEmpty();
    assertThat(harness.upstream().requests()).hasSize(before + 1);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(approvalEvents(approval.exchangeId()))
                    .containsExactly("requested:pending", "decided:approved", "outcome:approved"));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              List<JsonNode> all = records(approval.exchangeId());
              JsonNode end = all.get(all.size() - 1);
              assertThat(end.get("type").asText()).isEqualTo("response_end");
              assertThat(end.get("outcome").asText()).isEqualTo("complete");
            });
  }

  @Test
  void aDeniedRequestRaisesPermissionDeniedWithTheApproversReasonAndNeverGoesUpstream()
      throws Exception {
    int before = harness.upstream().requests().size();
    AnthropicClient alice = client("alice", "eng");
    CompletableFuture<Message> answer =
        CompletableFuture.supplyAsync(() -> alice.messages().create(shell("rm -rf").build()));

    Approval approval = pending();
    assertThat(
            decide(approval.id(), "deny", token("bob", "security"), "{\"reason\": \"not today\"}")
                .statusCode())
        .isEqualTo(200);

    assertThatThrownBy(answer::join)
        .hasCauseInstanceOf(PermissionDeniedException.class)
        .satisfies(
            e -> {
              PermissionDeniedException denied = (PermissionDeniedException) e.getCause();
              assertThat(denied.errorCode()).contains("approval_denied");
              assertThat(denied.getMessage()).contains("not today").contains(approval.id());
            });
    assertThat(harness.upstream().requests()).hasSize(before);
  }

  @Test
  void nobodyDecidingInTimeIsApprovalTimeout() {
    int before = harness.upstream().requests().size();
    assertThatThrownBy(() -> client("alice", "eng").messages().create(params("claude-test-quick")))
        .isInstanceOfSatisfying(
            PermissionDeniedException.class,
            e -> assertThat(e.errorCode()).contains("approval_timeout"));
    assertThat(harness.upstream().requests()).hasSize(before);
  }

  @Test
  void theRequesterCannotApproveItsOwnRequestAndADecidedApprovalAnswers409() throws Exception {
    AnthropicClient alice = client("alice", "eng", "security");
    CompletableFuture<Message> answer =
        CompletableFuture.supplyAsync(() -> alice.messages().create(shell("mine").build()));
    Approval approval = pending();

    HttpResponse<String> own = decide(approval.id(), "approve", token("alice", "security"));
    assertThat(own.statusCode()).isEqualTo(403);
    assertThat(errorCode(own)).isEqualTo("forbidden");
    HttpResponse<String> outsider = decide(approval.id(), "approve", token("eve", "eng"));
    assertThat(outsider.statusCode()).isEqualTo(403);
    HttpResponse<String> noReason =
        decide(approval.id(), "approve", token("bob", "security"), "{}");
    assertThat(noReason.statusCode()).isEqualTo(400);
    HttpResponse<String> notJson = decide(approval.id(), "approve", token("bob", "security"), "{");
    HttpResponse<String> anonymous =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(harness.adminUrl() + "/api/approvals/" + approval.id() + "/approve"))
                .POST(HttpRequest.BodyPublishers.ofString("{"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).as("authentication before validation").isEqualTo(401);
    assertThat(errorCode(notJson)).isEqualTo("invalid_json");

    assertThat(decide(approval.id(), "approve", token("bob", "security")).statusCode())
        .isEqualTo(200);
    answer.get();
    HttpResponse<String> again = decide(approval.id(), "deny", token("carol", "security"));
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(errorCode(again)).isEqualTo("approval_not_pending");
    assertThat(decide("apr_nothing", "approve", token("bob", "security")).statusCode())
        .isEqualTo(404);
  }

  @Test
  void twoApproversAreNeededWhenTheRuleSaysSo() throws Exception {
    int before = harness.upstream().requests().size();
    AnthropicClient alice = client("alice", "eng");
    CompletableFuture<Message> answer =
        CompletableFuture.supplyAsync(() -> alice.messages().create(params("claude-test-two")));
    Approval approval = pending();

    HttpResponse<String> first = decide(approval.id(), "approve", token("bob", "security"));
    assertThat(JSON.readTree(first.body()).get("state").asText()).isEqualTo("pending");
    assertThat(decide(approval.id(), "approve", token("bob", "security")).statusCode())
        .isEqualTo(403);
    assertThat(answer).isNotDone();
    assertThat(harness.upstream().requests()).hasSize(before);

    assertThat(decide(approval.id(), "approve", token("carol", "security")).statusCode())
        .isEqualTo(200);
    assertThat(answer.get().model().asString()).isEqualTo("claude-test-two");
    assertThat(harness.upstream().requests()).hasSize(before + 1);
  }

  @Test
  void aGrantLetsTheSameIdentityPassUntilItIsRevoked() throws Exception {
    AnthropicClient alice = client("alice", "eng");
    CompletableFuture<Message> first =
        CompletableFuture.supplyAsync(() -> alice.messages().create(shell("first").build()));
    Approval approval = pending();
    decide(approval.id(), "approve", token("bob", "security"));
    first.get();

    // Another body, same identity and rule: passes at once on the grant.
    int before = harness.upstream().requests().size();
    alice.messages().create(shell("second").build());
    assertThat(harness.upstream().requests()).hasSize(before + 1);
    assertThat(harness.gateway().approvals().list(Optional.empty(), 10)).hasSize(1);

    String admin = token("root", "jitgw-admins");
    assertThat(get("/api/grants", token("bob", "security")).statusCode()).isEqualTo(403);
    JsonNode grants = JSON.readTree(get("/api/grants", admin).body()).get("grants");
    assertThat(grants).hasSize(1);
    String grantId = grants.get(0).get("id").asText();
    HttpResponse<String> revoked =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(harness.adminUrl() + "/api/grants/" + grantId + "/revoke"))
                .header("authorization", "Bearer " + admin)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(revoked.statusCode()).isEqualTo(200);

    // Revoked: held again.
    CompletableFuture<Message> third =
        CompletableFuture.supplyAsync(() -> alice.messages().create(shell("third").build()));
    Approval again = pending();
    assertThat(again.id()).isNotEqualTo(approval.id());
    decide(again.id(), "deny", token("bob", "security"));
    assertThatThrownBy(third::join).hasCauseInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void anApprovedResponseIsMaskedWithTheSecretsProfile() throws Exception {
    AnthropicClient alice = client("alice", "eng");
    CompletableFuture<Message> answer =
        CompletableFuture.supplyAsync(
            () ->
                alice
                    .messages()
                    .create(
                        MessageCreateParams.builder()
                            .model("claude-test-secrets")
                            .maxTokens(64)
                            .addUserMessage("show me")
                            .addTool(ToolBash20250124.builder().build())
                            .build()));
    decide(pending().id(), "approve", token("bob", "security"));

    String text = answer.get().content().get(0).asText().text();
    assertThat(text)
        .contains("[MASKED:anthropic_api_key]")
        .doesNotContain(FakeClaudeUpstream.PLANTED_KEY)
        // secrets only: an e-mail address is not a secret
        .contains(FakeClaudeUpstream.PLANTED_EMAIL);
  }

  @Test
  void aRetryOfTheSameRequestJoinsThePendingApproval() throws Exception {
    AnthropicClient alice = client("alice", "eng");
    MessageCreateParams same = shell("the same prompt").build();
    CompletableFuture<Message> first =
        CompletableFuture.supplyAsync(() -> alice.messages().create(same));
    Approval approval = pending();
    CompletableFuture<Message> retry =
        CompletableFuture.supplyAsync(() -> alice.messages().create(same));
    await().until(() -> harness.gateway().approvals().waiting() == 2);
    assertThat(harness.gateway().approvals().list(Optional.empty(), 10)).hasSize(1);

    decide(approval.id(), "approve", token("bob", "security"));
    assertThat(first.get().content()).isNotEmpty();
    assertThat(retry.get().content()).isNotEmpty();
  }

  @Test
  void aHeldStreamIsAnswered200AtOnceWithPingsThenTheRealStream() throws Exception {
    AnthropicClient alice = client("alice", "eng");
    MessageAccumulator accumulator = MessageAccumulator.create();
    CompletableFuture<Void> streamed =
        CompletableFuture.runAsync(
            () -> {
              try (StreamResponse<RawMessageStreamEvent> stream =
                  alice.messages().createStreaming(shell("stream it").build())) {
                stream.stream().forEach(accumulator::accumulate);
              }
            });
    Approval approval = pending();
    decide(approval.id(), "approve", token("bob", "security"));
    streamed.get();
    assertThat(accumulator.message().content().get(0).asText().text())
        .isEqualTo(FakeClaudeUpstream.TEXT);
  }

  @Test
  void aRawHeldStreamShowsPingsAndADenialIsAnSseErrorEvent() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      socket.setSoTimeout(20_000);
      String body =
          "{\"model\":\"claude-test-1\",\"max_tokens\":16,\"stream\":true,"
              + "\"tools\":[{\"type\":\"bash_20250124\",\"name\":\"bash\"}],"
              + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      RawHttp.sendMessages(socket, body, token("alice", "eng"));
      InputStream in = socket.getInputStream();
      String head = RawHttp.readUntil(in, "event: ping");
      assertThat(head).startsWith("HTTP/1.1 200").contains("text/event-stream");
      int before = harness.upstream().requests().size();

      decide(pending().id(), "deny", token("bob", "security"), "{\"reason\": \"no shell\"}");
      String rest = RawHttp.readUntil(in, "\r\n0\r\n\r\n");
      assertThat(rest).contains("event: error").contains("approval_denied").contains("no shell");
      assertThat(harness.upstream().requests()).hasSize(before);
    }
  }

  @Test
  void aCallerThatLeavesAbandonsTheApprovalAndNothingGoesUpstream() throws Exception {
    int before = harness.upstream().requests().size();
    String exchangeId;
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      String body =
          "{\"model\":\"claude-test-1\",\"max_tokens\":16,"
              + "\"tools\":[{\"type\":\"bash_20250124\",\"name\":\"bash\"}],"
              + "\"messages\":[{\"role\":\"user\",\"content\":\"bye\"}]}";
      RawHttp.sendMessages(socket, body, token("alice", "eng"));
      exchangeId = pending().exchangeId();
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                harness.gateway().approvals().list(Optional.of(Approval.State.ABANDONED), 10).size()
                    == 1);
    assertThat(harness.upstream().requests()).hasSize(before);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(approvalEvents(exchangeId))
                    .contains("requested:pending", "outcome:abandoned", "decided:abandoned"));
  }

  @Test
  void aThousandHeldRequestsWaitWithoutAThreadEach() throws Exception {
    int threadsBefore = Thread.activeCount();
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 1000; i++) {
        Socket socket = new Socket("127.0.0.1", harness.port());
        socket.setSoTimeout(30_000);
        sockets.add(socket);
        RawHttp.sendMessages(
            socket,
            "{\"model\":\"claude-test-many\",\"max_tokens\":16,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"request "
                + i
                + "\"}]}",
            harness.token());
      }
      // Every request is held at once (distinct bodies: 1000 approvals) ...
      List<Approval> held = pending(1000);
      assertThat(harness.gateway().approvals().waiting()).isEqualTo(1000);
      assertThat(Thread.activeCount() - threadsBefore).isLessThan(50);
      // ... and each gets its answer when its approval is decided.
      String approver = token("bob", "security");
      for (Approval approval : held) {
        assertThat(decide(approval.id(), "deny", approver).statusCode()).isEqualTo(200);
      }
      for (Socket socket : sockets) {
        String response = RawHttp.readOneResponse(socket.getInputStream());
        assertThat(RawHttp.status(response)).isEqualTo(403);
        assertThat(response).contains("approval_denied");
      }
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }
}
