package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.audit.replay.ExchangeTimeline;
import dev.jitgw.audit.store.AuditFaults;
import dev.jitgw.audit.store.RocksAuditLog;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every exchange that reached the policy is in the audit log: the request as sent (without
 * credentials), the decision, and what the caller received, byte for byte; when the log cannot take
 * the request, nothing goes upstream.
 */
class AuditTrailTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path POLICY = policy();

  @RegisterExtension
  final GatewayHarness harness = new GatewayHarness(config -> config.withPolicyFile(POLICY));

  private final HttpClient http = HttpClient.newHttpClient();

  private static Path policy() {
    try {
      Path file = Files.createTempFile("jitgw-audit-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: no-opus
              when: request.model.startsWith("claude-opus")
              deny: Opus is not for tests
            - name: everyone
              when: "true"
              allow: {}
          """);
      return file;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private HttpResponse<byte[]> post(String token, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
            .header("authorization", "Bearer " + token)
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .header("cookie", "session=secret-cookie")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private List<JsonNode> recordsOf(String exchangeId) throws Exception {
    RocksAuditLog log = harness.gateway().auditLog();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                log.exchange(exchangeId).stream()
                    .anyMatch(r -> new String(r, UTF_8).contains("\"type\":\"response_end\"")));
    List<JsonNode> records = new ArrayList<>();
    for (byte[] record : log.exchange(exchangeId)) {
      records.add(JSON.readTree(record));
    }
    return records;
  }

  private static List<String> types(List<JsonNode> records) {
    return records.stream().map(r -> r.get("type").asText()).toList();
  }

  /** What the caller received, as the replay reassembles it from the chunk records. */
  private static byte[] received(List<JsonNode> records) {
    return ExchangeTimeline.of(records).body();
  }

  private List<String> allRecordsAsText() throws Exception {
    List<String> all = new ArrayList<>();
    RocksAuditLog log = harness.gateway().auditLog();
    log.forEachRecord(0, log.size(), r -> all.add(new String(r, UTF_8)));
    return all;
  }

  @Test
  void aForwardedExchangeIsRecordedWithWhatTheCallerReceivedAndNoCredential() throws Exception {
    String token = harness.token();
    String body =
        "{\"model\":\"claude-test-1\",\"max_tokens\":64,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"héllo\"}]}";
    HttpResponse<byte[]> response = post(token, body);
    assertThat(response.statusCode()).isEqualTo(200);
    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();

    List<JsonNode> records = recordsOf(id);

    assertThat(types(records))
        .startsWith("request", "decision", "response_head")
        .endsWith("response_end");
    JsonNode request = records.get(0);
    assertThat(request.get("body_parts").asInt()).as("a small body is in the record").isZero();
    assertThat(request.get("body").asText()).isEqualTo(body);
    assertThat(request.get("identity").get("sub").asText()).isEqualTo("alice");
    assertThat(request.get("path").asText()).isEqualTo("/v1/messages");
    assertThat(request.get("model").asText()).isEqualTo("claude-test-1");
    assertThat(request.get("headers").has("anthropic-version")).isTrue();
    assertThat(request.get("headers").has("authorization")).isFalse();
    assertThat(request.get("headers").has("cookie")).isFalse();
    assertThat(records.get(1).get("rule").asText()).isEqualTo("everyone");
    assertThat(records.get(1).get("policy_version").asText()).isNotEmpty();
    assertThat(records.get(2).get("status").asInt()).isEqualTo(200);
    assertThat(received(records)).isEqualTo(response.body());
    JsonNode end = records.get(records.size() - 1);
    assertThat(end.get("outcome").asText()).isEqualTo("complete");
    assertThat(end.get("bytes").asLong()).isEqualTo(response.body().length);

    assertThat(allRecordsAsText())
        .noneMatch(r -> r.contains(GatewayHarness.UPSTREAM_KEY))
        .noneMatch(r -> r.contains(token))
        .noneMatch(r -> r.contains("secret-cookie"));
  }

  @Test
  void sixtyFourConcurrentExchangesAreEachRecordedWholeInOrderWithNoGapsOrDuplicates()
      throws Exception {
    long before = harness.gateway().auditLog().size();
    List<java.util.concurrent.CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      calls.add(
          http.sendAsync(
              HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                  .header("authorization", "Bearer " + harness.token())
                  .header("content-type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"model\":\"claude-test-1\",\"max_tokens\":64,\"stream\":"
                              + (i % 2 == 0)
                              + ",\"messages\":[{\"role\":\"user\",\"content\":\"n"
                              + i
                              + "\"}]}"))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray()));
    }
    long total = 0;
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (var call : calls) {
      HttpResponse<byte[]> response = call.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
      assertThat(ids.add(id)).isTrue();
      List<JsonNode> records = recordsOf(id);
      List<String> types = types(records);
      assertThat(types.subList(0, 3)).containsExactly("request", "decision", "response_head");
      assertThat(types.subList(3, types.size() - 1)).isNotEmpty().containsOnly("response_chunk");
      assertThat(types.get(types.size() - 1)).isEqualTo("response_end");
      assertThat(received(records)).isEqualTo(response.body());
      long previous = -1;
      for (JsonNode record : records) {
        assertThat(record.get("seq").asLong()).isGreaterThan(previous);
        previous = record.get("seq").asLong();
      }
      total += records.size();
    }
    List<String> all = allRecordsAsText();
    assertThat(all.size() - before).as("exactly the records of the 64 exchanges").isEqualTo(total);
    for (int i = 0; i < all.size(); i++) {
      assertThat(all.get(i)).startsWith("{\"seq\":" + i + ",");
    }
  }

  @Test
  void aStreamIsRecordedAsTheCallerReceivedIt() throws Exception {
    HttpResponse<byte[]> response =
        post(
            harness.token(),
            "{\"model\":\"claude-test-1\",\"max_tokens\":64,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new String(response.body(), UTF_8)).contains("event: message_stop");

    List<JsonNode> records =
        recordsOf(response.headers().firstValue("jitgw-exchange-id").orElseThrow());

    assertThat(received(records)).isEqualTo(response.body());
    assertThat(records.get(records.size() - 1).get("outcome").asText()).isEqualTo("complete");
  }

  @Test
  void aDenialIsRecordedWithItsRuleAndTheErrorTheCallerGot() throws Exception {
    HttpResponse<byte[]> response =
        post(
            harness.token(),
            "{\"model\":\"claude-opus-4-1\",\"max_tokens\":64,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(response.statusCode()).isEqualTo(403);

    List<JsonNode> records =
        recordsOf(response.headers().firstValue("jitgw-exchange-id").orElseThrow());

    assertThat(types(records))
        .containsExactly("request", "decision", "response_head", "response_chunk", "response_end");
    assertThat(records.get(1).get("decision").asText()).isEqualTo("deny");
    assertThat(records.get(1).get("rule").asText()).isEqualTo("no-opus");
    assertThat(records.get(2).get("status").asInt()).isEqualTo(403);
    assertThat(received(records)).isEqualTo(response.body());
    assertThat(records.get(4).get("outcome").asText()).isEqualTo("error");
    assertThat(records.get(4).get("error").asText()).isEqualTo("policy_denied");
  }

  private HttpResponse<String> admin(String pathAndQuery, String... groups) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.adminUrl() + pathAndQuery))
            .header(
                "authorization",
                "Bearer " + harness.identityProvider().token().groups(groups).sign())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void adminsListExchangesReadOneExportTheLogAndGetSignedCheckpoints() throws Exception {
    HttpResponse<byte[]> response =
        post(
            harness.token(),
            "{\"model\":\"claude-test-1\",\"max_tokens\":64,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
    recordsOf(id); // ended

    HttpResponse<String> list = admin("/api/exchanges?subject=alice&limit=10", "jitgw-admins");
    assertThat(list.statusCode()).isEqualTo(200);
    JsonNode first = JSON.readTree(list.body()).get("exchanges").get(0);
    assertThat(first.get("id").asText()).isEqualTo(id);
    assertThat(first.get("decision").asText()).isEqualTo("allow");
    assertThat(first.get("outcome").asText()).isEqualTo("complete");
    assertThat(first.get("model").asText()).isEqualTo("claude-test-1");
    assertThat(
            JSON.readTree(admin("/api/exchanges?subject=bob", "jitgw-admins").body())
                .get("exchanges"))
        .isEmpty();

    HttpResponse<String> one = admin("/api/exchanges/" + id, "jitgw-admins");
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(one.body()).get("records").get(0).get("type").asText())
        .isEqualTo("request");
    assertThat(
            admin("/api/exchanges/" + id.substring(0, id.length() - 4) + "ZZZZ", "jitgw-admins")
                .statusCode())
        .isEqualTo(404);

    long size = harness.gateway().auditLog().size();
    HttpResponse<String> export =
        admin("/api/audit/export?from=0&to=" + (size - 1), "jitgw-admins");
    assertThat(export.statusCode()).isEqualTo(200);
    List<String> lines = export.body().lines().toList();
    assertThat(lines).hasSize((int) size);
    assertThat(lines).isEqualTo(allRecordsAsText().subList(0, (int) size));

    HttpResponse<String> checkpoint = admin("/api/audit/checkpoint?size=" + size, "jitgw-admins");
    assertThat(checkpoint.statusCode()).isEqualTo(200);
    var verifier =
        dev.jitgw.audit.checkpoint.NoteVerifier.parse(
            checkpoint.headers().firstValue("jitgw-verifier-key").orElseThrow());
    var signed = dev.jitgw.audit.checkpoint.SignedCheckpoint.open(checkpoint.body(), verifier);
    assertThat(signed.size()).isEqualTo(size);
    List<byte[]> leaves =
        lines.stream()
            .map(l -> dev.jitgw.audit.tree.MerkleHash.leafHash(l.getBytes(UTF_8)))
            .toList();
    assertThat(signed.rootHash())
        .isEqualTo(dev.jitgw.audit.tree.MerkleVerifier.rootFromLeaves(leaves));

    assertThat(admin("/api/exchanges", "eng").statusCode()).isEqualTo(403);
    assertThat(admin("/api/audit/export?from=5&to=2", "jitgw-admins").statusCode()).isEqualTo(400);
  }

  @Test
  void whenTheLogFailsMidStreamTheRestIsWithheldAndTheStreamEndsWithAnSseError() throws Exception {
    HttpResponse<java.io.InputStream> response =
        http.send(
            HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                .header("authorization", "Bearer " + harness.token())
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-test-endless\",\"max_tokens\":64,\"stream\":true,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    try (java.io.InputStream in = response.body()) {
      byte[] buffer = new byte[8192];
      while (received.size() < 32 * 1024) {
        received.write(buffer, 0, in.read(buffer));
      }
      AuditFaults.breakStore(harness.gateway().auditLog());
      int n;
      while ((n = in.read(buffer)) >= 0) { // the gateway must end the stream by itself
        received.write(buffer, 0, n);
      }
    }
    String tail = received.toString(UTF_8);
    tail = tail.substring(Math.max(0, tail.length() - 600));
    assertThat(tail).contains("event: error").contains("audit_unavailable");
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.gateway().auditLog().healthy());
  }

  @Test
  void whenTheLogCannotWriteTheRequestNothingGoesUpstreamAndTheGatewayRecovers() throws Exception {
    String body =
        "{\"model\":\"claude-test-1\",\"max_tokens\":64,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    int before = harness.upstream().requests().size();
    AuditFaults.breakStore(harness.gateway().auditLog());

    HttpResponse<byte[]> refused = post(harness.token(), body);

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(refused.body()).get("error").get("type").asText())
        .isEqualTo("api_error");
    assertThat(new String(refused.body(), UTF_8)).contains("audit_unavailable");
    assertThat(harness.upstream().requests()).hasSize(before);
    HttpResponse<String> ready =
        http.send(
            HttpRequest.newBuilder(URI.create(harness.adminUrl() + "/readyz")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(ready.body()).contains("audit");

    await().atMost(Duration.ofSeconds(10)).until(() -> harness.gateway().auditLog().healthy());
    assertThat(post(harness.token(), body).statusCode()).isEqualTo(200);
    assertThat(harness.upstream().requests()).hasSize(before + 1);
  }
}
