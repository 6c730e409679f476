package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.ObjectMappers;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.audit.replay.ExchangeTimeline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Masking in the response path, end to end: the planted values never reach the caller (JSON,
 * streamed text split one character per event, streamed tool input), the official SDK accumulates a
 * valid message with placeholders, what cannot be masked is withheld, and the audit log and metrics
 * count what was masked without holding the values.
 */
class MaskingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path POLICY = policy();
  private static final String MASKED_TEXT =
      "Use key [MASKED:anthropic_api_key] and mail [MASKED:email] — café ☕ done.";

  @RegisterExtension
  final GatewayHarness harness = new GatewayHarness(config -> config.withPolicyFile(POLICY));

  private final HttpClient http = HttpClient.newHttpClient();

  private static Path policy() {
    try {
      Path file = Files.createTempFile("jitgw-masking-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: raw
              when: '"unmasked" in identity.groups'
              allow: {}
            - name: everyone
              when: "true"
              allow:
                mask: [secrets, pii]
          masking:
            profiles:
              pii: {detectors: [email, credit_card], fields: [password]}
          """);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private HttpResponse<byte[]> post(String body, String... groups) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
            .header(
                "authorization",
                "Bearer " + harness.identityProvider().token().groups(groups).sign())
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String request(String model, boolean stream) {
    return "{\"model\":\""
        + model
        + "\",\"max_tokens\":64,\"stream\":"
        + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private static void assertNoPlantedValue(String received) {
    for (String planted :
        List.of(
            FakeClaudeUpstream.PLANTED_KEY,
            FakeClaudeUpstream.PLANTED_EMAIL,
            FakeClaudeUpstream.PLANTED_PASSWORD)) {
      // No fragment long enough to be part of the value only (the key's "sk-ant-" prefix aside).
      for (int i = 0; i + 6 <= planted.length(); i++) {
        String fragment = planted.substring(i, i + 6);
        if (!fragment.startsWith("sk-") && !fragment.startsWith("k-ant")) {
          assertThat(received)
              .as("fragment %s of a planted value", fragment)
              .doesNotContain(fragment);
        }
      }
    }
  }

  /** The text and tool input a stream carried, reassembled from its events. */
  private static List<String> streamed(String body, String deltaType, String field)
      throws IOException {
    List<String> pieces = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (line.startsWith("data:")) {
        JsonNode data = JSON.readTree(line.substring(5).trim());
        JsonNode delta = data.path("delta");
        if (data.path("type").asText().equals("content_block_delta")
            && delta.path("type").asText().equals(deltaType)) {
          pieces.add(delta.path(field).asText());
        }
      }
    }
    return pieces;
  }

  private List<JsonNode> recordsOf(String exchangeId) throws Exception {
    return AuditRecords.ended(harness, exchangeId);
  }

  private static JsonNode only(List<JsonNode> records, String type) {
    List<JsonNode> found =
        records.stream().filter(r -> r.get("type").asText().equals(type)).toList();
    assertThat(found).as("records of type %s", type).hasSize(1);
    return found.get(0);
  }

  @Test
  void aJsonResponseHasItsTextAndToolInputMasked() throws Exception {
    HttpResponse<byte[]> response = post(request("claude-test-secrets", false));

    assertThat(response.statusCode()).isEqualTo(200);
    String body = new String(response.body(), UTF_8);
    assertNoPlantedValue(body);
    JsonNode message = JSON.readTree(body);
    assertThat(message.at("/content/0/text").asText()).isEqualTo(MASKED_TEXT);
    JsonNode input = message.at("/content/1/input");
    assertThat(input.get("password").asText()).isEqualTo("[MASKED:field:password]");
    assertThat(input.get("user").asText()).isEqualTo("jane");
    assertThat(message.at("/usage/output_tokens").asInt()).isEqualTo(6);
    assertThat(response.headers().firstValueAsLong("content-length").orElseThrow())
        .isEqualTo(response.body().length);
    // The gateway asked the upstream for a body it can read.
    assertThat(harness.upstream().lastRequest().headers().get("accept-encoding"))
        .isEqualTo("identity");

    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
    List<JsonNode> records = recordsOf(id);
    JsonNode counts = only(records, "masking").get("counts");
    assertThat(counts.get("anthropic_api_key").asLong()).isEqualTo(1);
    assertThat(counts.get("email").asLong()).isEqualTo(1);
    assertThat(counts.get("field:password").asLong()).isEqualTo(1);
    assertThat(ExchangeTimeline.of(records).body()).isEqualTo(response.body());
    assertNoPlantedValue(records.toString());
  }

  @Test
  void aStreamSplitOneCharacterPerEventNeverLeaksAFragmentAndKeepsTheRest() throws Exception {
    HttpResponse<byte[]> response = post(request("claude-test-secrets", true));

    assertThat(response.statusCode()).isEqualTo(200);
    String body = new String(response.body(), UTF_8);
    assertNoPlantedValue(body);
    assertThat(String.join("", streamed(body, "text_delta", "text"))).isEqualTo(MASKED_TEXT);
    JsonNode input =
        JSON.readTree(String.join("", streamed(body, "input_json_delta", "partial_json")));
    assertThat(input.get("password").asText()).isEqualTo("[MASKED:field:password]");
    assertThat(input.get("note").asText()).isEqualTo("ok");
    assertThat(body).contains("event: message_stop");

    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
    List<JsonNode> records = recordsOf(id);
    assertThat(only(records, "masking").get("counts").get("email").asLong()).isEqualTo(1);
    JsonNode end = only(records, "response_end");
    assertThat(end.get("outcome").asText()).isEqualTo("complete");
    assertThat(end.at("/usage/output_tokens").asLong()).isEqualTo(6);
    assertThat(ExchangeTimeline.of(records).body()).isEqualTo(response.body());
    assertNoPlantedValue(records.toString());
  }

  @Test
  void theSdkAccumulatesAMaskedStreamIntoAValidMessage() throws Exception {
    AnthropicClient client = harness.sdk();
    MessageAccumulator accumulator = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream =
        client
            .messages()
            .createStreaming(
                MessageCreateParams.builder()
                    .model("claude-test-secrets")
                    .maxTokens(64)
                    .addUserMessage("hi")
                    .build())) {
      stream.stream().forEach(accumulator::accumulate);
    }
    Message message = accumulator.message();

    List<ContentBlock> content = message.content();
    assertThat(content).hasSize(2);
    assertThat(content.get(0).asText().text()).isEqualTo(MASKED_TEXT);
    JsonNode input =
        JSON.readTree(
            ObjectMappers.jsonMapper().writeValueAsString(content.get(1).asToolUse()._input()));
    assertThat(input.get("password").asText()).isEqualTo("[MASKED:field:password]");
    assertThat(input.get("user").asText()).isEqualTo("jane");
  }

  @Test
  void theSdkReceivesAMaskedJsonMessage() {
    Message message =
        harness
            .sdk()
            .messages()
            .create(
                MessageCreateParams.builder()
                    .model("claude-test-secrets")
                    .maxTokens(64)
                    .addUserMessage("hi")
                    .build());

    assertThat(message.content().get(0).asText().text()).isEqualTo(MASKED_TEXT);
    assertThat(message.content().get(1).asToolUse()._input().toString())
        .doesNotContain(FakeClaudeUpstream.PLANTED_PASSWORD);
  }

  @Test
  void aRuleWithoutMaskingPassesTheResponseUnchanged() throws Exception {
    HttpResponse<byte[]> response = post(request("claude-test-secrets", true), "unmasked");

    assertThat(response.statusCode()).isEqualTo(200);
    String body = new String(response.body(), UTF_8);
    assertThat(String.join("", streamed(body, "text_delta", "text")))
        .isEqualTo(FakeClaudeUpstream.SECRET_TEXT);
    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
    assertThat(recordsOf(id)).noneMatch(r -> r.get("type").asText().equals("masking"));
  }

  @Test
  void aCompressedResponseIsWithheldNotForwarded() throws Exception {
    HttpResponse<byte[]> response = post(request("claude-test-gzip", false));

    assertThat(response.statusCode()).isEqualTo(502);
    JsonNode error = JSON.readTree(response.body());
    assertThat(error.at("/error/details/error_code").asText()).isEqualTo("masking_failed");
    assertThat(error.at("/error/message").asText()).contains("gzip");
    assertThat(response.headers().firstValue("content-encoding")).isEmpty();

    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
    JsonNode end = only(recordsOf(id), "response_end");
    assertThat(end.get("outcome").asText()).isEqualTo("error");
    assertThat(end.get("error").asText()).contains("masking_failed");
  }

  @Test
  void anEventTheMaskerCannotReadEndsTheStreamWithAnErrorAndNothingAfterIt() throws Exception {
    HttpResponse<byte[]> response = post(request("claude-test-bad-event", true));

    assertThat(response.statusCode()).isEqualTo(200);
    String body = new String(response.body(), UTF_8);
    assertThat(body).contains("fine so far ");
    assertThat(body).contains("event: error").contains("\"error_code\":\"masking_failed\"");
    assertThat(body).doesNotContain(FakeClaudeUpstream.PLANTED_KEY.substring(7, 20));
    assertThat(body).doesNotContain("message_stop");

    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
    JsonNode end = only(recordsOf(id), "response_end");
    assertThat(end.get("outcome").asText()).isEqualTo("error");
    assertThat(end.get("error").asText()).startsWith("masking_failed: ");
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.baseUrl() + path))
            .header("authorization", "Bearer " + harness.token())
            .header("anthropic-version", "2023-06-01")
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void batchResultsAreMaskedLineByLine() throws Exception {
    HttpResponse<byte[]> response = get("/v1/messages/batches/msgbatch_test/results");

    assertThat(response.statusCode()).isEqualTo(200);
    String body = new String(response.body(), UTF_8);
    assertNoPlantedValue(body);
    String[] lines = body.split("\n");
    assertThat(lines).hasSize(2);
    JsonNode first = JSON.readTree(lines[0]);
    assertThat(first.at("/result/message/content/0/text").asText()).isEqualTo(MASKED_TEXT);
    assertThat(first.at("/result/message/content/1/input/password").asText())
        .isEqualTo("[MASKED:field:password]");
    assertThat(JSON.readTree(lines[1]).at("/result/error/message").asText()).isEqualTo("bad");
  }

  @Test
  void aBodyMaskingCannotReadIsWithheld() throws Exception {
    HttpResponse<byte[]> response = get("/v1/files/file_test/content");

    assertThat(response.statusCode()).isEqualTo(502);
    String body = new String(response.body(), UTF_8);
    assertThat(JSON.readTree(body).at("/error/details/error_code").asText())
        .isEqualTo("masking_failed");
    assertThat(body).contains("text/plain").doesNotContain(FakeClaudeUpstream.PLANTED_KEY);
  }

  @Test
  void maskedValuesAreCountedInTheMetricsByDetector() throws Exception {
    assertThat(post(request("claude-test-secrets", false)).statusCode()).isEqualTo(200);

    String metrics =
        http.send(
                HttpRequest.newBuilder(URI.create(harness.adminUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .contains("jitgw_masking_hits_total{detector=\"email\"} 1.0")
        .contains("jitgw_masking_hits_total{detector=\"anthropic_api_key\"} 1.0")
        .doesNotContain(FakeClaudeUpstream.PLANTED_EMAIL);
  }
}
