package dev.jitgw.server.it;

import static dev.jitgw.server.it.GatewayHarness.UPSTREAM_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageTokensCount;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.batches.MessageBatch;
import com.anthropic.models.models.ModelInfo;
import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.server.it.FakeClaudeUpstream.Recorded;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The official Anthropic Java SDK, pointed at the gateway, against a local Messages API. */
class SdkProxyTest {
  @RegisterExtension static final GatewayHarness harness = new GatewayHarness();

  private static AnthropicClient client;

  @BeforeAll
  static void client() {
    client = harness.sdk();
  }

  @AfterAll
  static void closeClient() {
    client.close();
  }

  private static MessageCreateParams params(String model) {
    return MessageCreateParams.builder()
        .model(model)
        .maxTokens(256)
        .addUserMessage("Say hello")
        .build();
  }

  @Test
  void nonStreamingMessageGoesUpstreamWithTheGatewaysKeyOnly() throws Exception {
    Message message = client.messages().create(params("claude-test-1"));

    assertThat(message.content()).hasSize(1);
    assertThat(message.content().get(0).asText().text()).isEqualTo(FakeClaudeUpstream.TEXT);
    assertThat(message.usage().outputTokens()).isEqualTo(6);

    Recorded seen = harness.upstream().lastRequest();
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.uri()).isEqualTo("/v1/messages");
    assertThat(seen.headers().get("x-api-key")).isEqualTo(UPSTREAM_KEY);
    assertThat(seen.headers().contains("authorization")).isFalse();
    assertThat(seen.headers().toString()).doesNotContain("Bearer").doesNotContain("eyJ");
    assertThat(seen.headers().get("anthropic-version")).matches("\\d{4}-\\d{2}-\\d{2}");
    assertThat(seen.headers().get("host")).isEqualTo("127.0.0.1:" + harness.upstream().port());
    JsonNode body = FakeClaudeUpstream.JSON.readTree(seen.body());
    assertThat(body.get("model").asText()).isEqualTo("claude-test-1");
    assertThat(body.get("max_tokens").asInt()).isEqualTo(256);
  }

  @Test
  void streamingMessageArrivesEventByEvent() {
    List<String> types = new ArrayList<>();
    MessageAccumulator accumulator = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream =
        client.messages().createStreaming(params("claude-test-1"))) {
      stream.stream()
          .forEach(
              event -> {
                accumulator.accumulate(event);
                types.add(
                    event.isMessageStart()
                        ? "message_start"
                        : event.isContentBlockDelta()
                            ? "delta"
                            : event.isMessageStop() ? "message_stop" : "other");
              });
    }
    Message message = accumulator.message();
    assertThat(message.content().get(0).asText().text()).isEqualTo(FakeClaudeUpstream.TEXT);
    assertThat(types).startsWith("message_start").endsWith("message_stop");
    assertThat(types.stream().filter("delta"::equals).count())
        .isEqualTo(FakeClaudeUpstream.TEXT.split(" ").length);
  }

  @Test
  void countTokens() {
    MessageTokensCount count =
        client
            .messages()
            .countTokens(
                MessageCountTokensParams.builder()
                    .model("claude-test-1")
                    .addUserMessage("How many?")
                    .build());
    assertThat(count.inputTokens()).isEqualTo(42);
    assertThat(harness.upstream().lastRequest().uri()).isEqualTo("/v1/messages/count_tokens");
  }

  @Test
  void listModels() {
    List<ModelInfo> models = client.models().list().data();
    assertThat(models).extracting(ModelInfo::id).containsExactly("claude-test-1");
    assertThat(harness.upstream().lastRequest().method()).isEqualTo("GET");
  }

  @Test
  void batchResultsUrlLeadsBackThroughTheGateway() {
    MessageBatch batch = client.messages().batches().retrieve("msgbatch_test");
    assertThat(batch.resultsUrl())
        .contains(harness.baseUrl() + "/v1/messages/batches/msgbatch_test/results");
    assertThat(batch.requestCounts().succeeded()).isEqualTo(2);
  }

  @Test
  void upstreamErrorBodyPassesThroughUnchanged() {
    assertThatThrownBy(() -> client.messages().create(params("claude-test-400")))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(400);
              assertThat(e.getMessage()).contains("max_tokens: 99999999 > 64000");
              assertThat(e.requestId()).contains("req_upstream_json");
              assertThat(e.headers().values("jitgw-exchange-id")).hasSize(1);
            });
  }

  @Test
  void upstreamResetMidStreamEndsTheStreamWithAnError() {
    List<RawMessageStreamEvent> received = new ArrayList<>();
    assertThatThrownBy(
            () -> {
              try (StreamResponse<RawMessageStreamEvent> stream =
                  client.messages().createStreaming(params("claude-test-reset"))) {
                stream.stream().forEach(received::add);
              }
            })
        .isInstanceOf(AnthropicException.class)
        .hasMessageContaining("mid-stream");
    assertThat(received).isNotEmpty();
    assertThat(received.get(0).isMessageStart()).isTrue();
  }
}
