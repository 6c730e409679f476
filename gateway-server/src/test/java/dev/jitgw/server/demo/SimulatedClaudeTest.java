package dev.jitgw.server.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SimulatedClaudeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "sk-ant-simulated-test";

  private static EmbeddedChannel channel() {
    return new EmbeddedChannel(new SimulatedClaude.Routes(KEY, Duration.ZERO));
  }

  private static FullHttpRequest request(HttpMethod method, String uri, String key, String body) {
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, method, uri, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    if (key != null) {
      request.headers().set("x-api-key", key);
    }
    return request;
  }

  private static JsonNode json(FullHttpResponse response) throws Exception {
    try {
      return JSON.readTree(response.content().toString(StandardCharsets.UTF_8));
    } finally {
      response.release();
    }
  }

  @Test
  void aMessageSaysItIsSimulatedAndStopsAtMaxTokens() throws Exception {
    EmbeddedChannel channel = channel();
    channel.writeInbound(
        request(
            HttpMethod.POST,
            "/v1/messages",
            KEY,
            "{\"model\":\"claude-x\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"hi there\"}]}]}"));
    FullHttpResponse response = channel.readOutbound();
    assertThat(response.status().code()).isEqualTo(200);
    assertThat(response.headers().get(SimulatedClaude.HEADER)).isEqualTo("true");
    JsonNode message = json(response);
    assertThat(message.path("type").asText()).isEqualTo("message");
    assertThat(message.path("model").asText()).isEqualTo("claude-x");
    assertThat(message.path("content").get(0).path("text").asText())
        .isEqualTo("[simulated Claude] You said: \"hi ");
    assertThat(message.path("stop_reason").asText()).isEqualTo("max_tokens");
    assertThat(message.path("usage").path("output_tokens").asInt()).isEqualTo(5);
    assertThat(message.path("usage").path("input_tokens").asInt()).isPositive();
    assertFalse(channel.finish());
  }

  @Test
  void aStreamHasTheApisEventSequenceWithUsage() {
    EmbeddedChannel channel = channel();
    channel.writeInbound(
        request(
            HttpMethod.POST,
            "/v1/messages",
            KEY,
            "{\"model\":\"claude-x\",\"max_tokens\":100,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Echo me\"}]}"));
    HttpResponse head = channel.readOutbound();
    assertThat(head.headers().get("content-type")).startsWith("text/event-stream");
    assertThat(head.headers().get(SimulatedClaude.HEADER)).isEqualTo("true");
    StringBuilder body = new StringBuilder();
    Object next;
    boolean ended = false;
    while ((next = channel.readOutbound()) != null) {
      HttpContent content = (HttpContent) next;
      body.append(content.content().toString(StandardCharsets.UTF_8));
      ended = content instanceof LastHttpContent;
      content.release();
    }
    assertThat(ended).isTrue();
    List<String> events = new ArrayList<>();
    Matcher m = Pattern.compile("event: (\\w+)\n").matcher(body);
    while (m.find()) {
      events.add(m.group(1));
    }
    int deltas = (int) events.stream().filter("content_block_delta"::equals).count();
    assertThat(events.subList(0, 3))
        .containsExactly("message_start", "content_block_start", "ping");
    assertThat(events.subList(3, 3 + deltas)).containsOnly("content_block_delta");
    assertThat(events.subList(3 + deltas, events.size()))
        .containsExactly("content_block_stop", "message_delta", "message_stop");
    assertThat(body)
        .contains("\"delta\":{\"type\":\"text_delta\",\"text\":\"[simulated \"}")
        .contains("\"text\":\"\\\"Echo \"")
        .contains(
            "\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                + "\"usage\":{\"output_tokens\":"
                + deltas
                + "}");
    assertFalse(channel.finish());
  }

  @Test
  void countTokensAndModels() throws Exception {
    EmbeddedChannel channel = channel();
    channel.writeInbound(
        request(
            HttpMethod.POST,
            "/v1/messages/count_tokens",
            KEY,
            "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\",\"content\":\"four\"}]}"));
    assertThat(json(channel.readOutbound()).path("input_tokens").asInt()).isPositive();
    channel.writeInbound(request(HttpMethod.GET, "/v1/models", KEY, ""));
    assertThat(json(channel.readOutbound()).path("data").get(0).path("display_name").asText())
        .contains("simulated");
    assertFalse(channel.finish());
  }

  @Test
  void refusesWithoutTheGatewaysKeyAndNamesWhatIsNotSimulated() throws Exception {
    EmbeddedChannel channel = channel();
    channel.writeInbound(request(HttpMethod.POST, "/v1/messages", "sk-ant-other", "{}"));
    FullHttpResponse unauthorized = channel.readOutbound();
    assertThat(unauthorized.status().code()).isEqualTo(401);
    assertThat(json(unauthorized).path("error").path("type").asText())
        .isEqualTo("authentication_error");

    channel.writeInbound(request(HttpMethod.POST, "/v1/messages", KEY, "{\"model\":\"x\"}"));
    FullHttpResponse invalid = channel.readOutbound();
    assertThat(invalid.status().code()).isEqualTo(400);
    assertThat(json(invalid).path("error").path("message").asText()).contains("messages");

    channel.writeInbound(request(HttpMethod.POST, "/v1/files", KEY, ""));
    FullHttpResponse notFound = channel.readOutbound();
    assertThat(notFound.status().code()).isEqualTo(404);
    assertThat(json(notFound).path("error").path("message").asText())
        .startsWith(SimulatedClaude.TEXT_PREFIX)
        .contains("ANTHROPIC_API_KEY");
    assertFalse(channel.finish());
  }
}
