package dev.jitgw.server.demo;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for the Claude Messages API on a loopback port, for the demo when no {@code
 * ANTHROPIC_API_KEY} is set. It answers {@code POST /v1/messages} (JSON, and SSE with the real
 * event sequence: {@code message_start}, {@code content_block_start}, {@code ping}, {@code
 * content_block_delta} with {@code text_delta}s, {@code content_block_stop}, {@code message_delta}
 * with usage, {@code message_stop}), {@code POST /v1/messages/count_tokens} and {@code GET
 * /v1/models}. No model is called: every answer says it is simulated, in its text ({@value
 * #TEXT_PREFIX}You said: "..." and the last user message's text) and in the {@value #HEADER}
 * header.
 *
 * <p>It requires the key the gateway was given for it in {@code x-api-key}, so the demo shows the
 * gateway injecting the upstream credential (callers never hold it).
 */
public final class SimulatedClaude implements AutoCloseable {
  /** Response header on every simulated answer. */
  public static final String HEADER = "jitgw-simulated-upstream";

  /** How every simulated message's text begins. */
  public static final String TEXT_PREFIX = "[simulated Claude] ";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_REQUEST_BYTES = 32 * 1024 * 1024;
  private static final int ECHO_LIMIT = 200;

  private final String apiKey;
  private final Duration deltaInterval;
  private final LoopbackServer server;

  private SimulatedClaude(String apiKey, Duration deltaInterval) {
    this.apiKey = requireNonNull(apiKey, "apiKey");
    this.deltaInterval = requireNonNull(deltaInterval, "deltaInterval");
    this.server = LoopbackServer.start("jitgw-demo-upstream", 0, MAX_REQUEST_BYTES, this::routes);
  }

  /**
   * Starts on a free loopback port.
   *
   * @param apiKey the only {@code x-api-key} accepted
   * @param deltaInterval pause between streamed text deltas, so a stream looks like one
   */
  public static SimulatedClaude start(String apiKey, Duration deltaInterval) {
    return new SimulatedClaude(apiKey, deltaInterval);
  }

  /** The base URL to configure as the gateway's upstream. */
  public String url() {
    return server.url();
  }

  @Override
  public void close() {
    server.close();
  }

  private ChannelHandler routes() {
    return new Routes(apiKey, deltaInterval);
  }

  /** The text of a simulated answer to this request body. */
  static String answerText(JsonNode body) {
    String said = lastUserText(body);
    if (said.length() > ECHO_LIMIT) {
      said = said.substring(0, ECHO_LIMIT) + "...";
    }
    // The echo comes first: a secret in the prompt comes back in the answer, where the gateway's
    // response masking replaces it (the demo's masking example).
    return TEXT_PREFIX
        + "You said: \""
        + said
        + "\" No model was called: ANTHROPIC_API_KEY is unset, so jitgw demo answers with its"
        + " built-in simulated upstream. Your request passed the gateway's identity check and"
        + " policy, and the gateway added the upstream key itself.";
  }

  /** The text of the last user turn (a string, or its text blocks joined). */
  private static String lastUserText(JsonNode body) {
    JsonNode messages = body.path("messages");
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonNode message = messages.get(i);
      if (!"user".equals(message.path("role").asText())) {
        continue;
      }
      JsonNode content = message.path("content");
      if (content.isTextual()) {
        return content.asText();
      }
      StringBuilder text = new StringBuilder();
      for (JsonNode block : content) {
        if ("text".equals(block.path("type").asText())) {
          text.append(text.length() == 0 ? "" : " ").append(block.path("text").asText());
        }
      }
      return text.toString();
    }
    return "";
  }

  /** A rough token count (a token is about four characters of English), at least 1. */
  static int estimateTokens(String text) {
    return Math.max(1, (text.length() + 3) / 4);
  }

  /** The Messages API routes. Stateless but for the request in hand. */
  static final class Routes extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final String apiKey;
    private final Duration deltaInterval;

    Routes(String apiKey, Duration deltaInterval) {
      this.apiKey = apiKey;
      this.deltaInterval = deltaInterval;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      String path = new QueryStringDecoder(request.uri()).path();
      if (!keyMatches(request.headers().get("x-api-key"))) {
        error(
            ctx,
            request,
            HttpResponseStatus.UNAUTHORIZED,
            "authentication_error",
            "invalid x-api-key (the simulated upstream accepts only the key jitgw demo gave the"
                + " gateway)");
        return;
      }
      boolean post = HttpMethod.POST.equals(request.method());
      if (post && path.equals("/v1/messages")) {
        JsonNode body = parse(ctx, request);
        if (body != null) {
          messages(ctx, request, body);
        }
      } else if (post && path.equals("/v1/messages/count_tokens")) {
        JsonNode body = parse(ctx, request);
        if (body != null) {
          ObjectNode count = JSON.createObjectNode();
          count.put("input_tokens", estimateTokens(body.path("messages").toString()));
          json(ctx, request, HttpResponseStatus.OK, count);
        }
      } else if (HttpMethod.GET.equals(request.method()) && path.equals("/v1/models")) {
        json(ctx, request, HttpResponseStatus.OK, models());
      } else {
        error(
            ctx,
            request,
            HttpResponseStatus.NOT_FOUND,
            "not_found_error",
            TEXT_PREFIX
                + request.method()
                + " "
                + path
                + " is not simulated (only POST /v1/messages, POST /v1/messages/count_tokens"
                + " and GET /v1/models); set ANTHROPIC_API_KEY for the real API");
      }
    }

    private boolean keyMatches(String presented) {
      return presented != null
          && MessageDigest.isEqual(
              presented.getBytes(StandardCharsets.UTF_8), apiKey.getBytes(StandardCharsets.UTF_8));
    }

    /** The body as JSON, or null after answering 400 as the API does. */
    private static JsonNode parse(ChannelHandlerContext ctx, FullHttpRequest request) {
      JsonNode body;
      try {
        body = JSON.readTree(request.content().toString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        body = null;
      }
      if (body == null || !body.isObject()) {
        error(
            ctx,
            request,
            HttpResponseStatus.BAD_REQUEST,
            "invalid_request_error",
            "request body: expected a JSON object");
        return null;
      }
      String problem =
          !body.path("model").isTextual()
              ? "model: Field required"
              : !body.path("messages").isArray() || body.path("messages").isEmpty()
                  ? "messages: Field required (at least one message)"
                  : null;
      if (problem != null) {
        error(ctx, request, HttpResponseStatus.BAD_REQUEST, "invalid_request_error", problem);
        return null;
      }
      return body;
    }

    private void messages(ChannelHandlerContext ctx, FullHttpRequest request, JsonNode body) {
      if (!body.path("max_tokens").canConvertToInt() || body.path("max_tokens").asInt() < 1) {
        error(
            ctx,
            request,
            HttpResponseStatus.BAD_REQUEST,
            "invalid_request_error",
            "max_tokens: Field required (a positive integer)");
        return;
      }
      String model = body.path("model").asText();
      int maxTokens = body.path("max_tokens").asInt();
      int inputTokens = estimateTokens(body.path("system").toString() + body.path("messages"));
      // One word is one "token": a reply longer than max_tokens stops there, as the API's does.
      List<String> words = new ArrayList<>(List.of(answerText(body).split("(?<= )")));
      String stopReason = "end_turn";
      if (words.size() > maxTokens) {
        words = new ArrayList<>(words.subList(0, maxTokens));
        stopReason = "max_tokens";
      }
      String id = "msg_simulated_" + UUID.randomUUID().toString().replace("-", "");
      if (body.path("stream").asBoolean(false)) {
        stream(ctx, request, id, model, inputTokens, words, stopReason);
      } else {
        ObjectNode message = messageHead(id, model);
        message
            .putArray("content")
            .addObject()
            .put("type", "text")
            .put("text", String.join("", words));
        message.put("stop_reason", stopReason);
        message.putNull("stop_sequence");
        message
            .putObject("usage")
            .put("input_tokens", inputTokens)
            .put("output_tokens", words.size());
        json(ctx, request, HttpResponseStatus.OK, message);
      }
    }

    private void stream(
        ChannelHandlerContext ctx,
        FullHttpRequest request,
        String id,
        String model,
        int inputTokens,
        List<String> words,
        String stopReason) {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      head.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
          .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
          .set("request-id", "req_simulated_" + id.substring(id.length() - 12))
          .set(HEADER, "true");
      HttpUtil.setTransferEncodingChunked(head, true);
      HttpUtil.setKeepAlive(head, HttpUtil.isKeepAlive(request));
      ObjectNode start = JSON.createObjectNode().put("type", "message_start");
      ObjectNode message = messageHead(id, model);
      message.putArray("content");
      message.putNull("stop_reason");
      message.putNull("stop_sequence");
      message.putObject("usage").put("input_tokens", inputTokens).put("output_tokens", 1);
      start.set("message", message);
      ObjectNode blockStart =
          JSON.createObjectNode().put("type", "content_block_start").put("index", 0);
      blockStart.putObject("content_block").put("type", "text").put("text", "");
      ctx.write(head);
      ctx.write(event("message_start", start));
      ctx.write(event("content_block_start", blockStart));
      ctx.writeAndFlush(event("ping", JSON.createObjectNode().put("type", "ping")));
      List<DeferredEvent> rest = new ArrayList<>();
      for (String word : words) {
        ObjectNode delta =
            JSON.createObjectNode().put("type", "content_block_delta").put("index", 0);
        delta.putObject("delta").put("type", "text_delta").put("text", word);
        rest.add(new DeferredEvent("content_block_delta", delta));
      }
      rest.add(
          new DeferredEvent(
              "content_block_stop",
              JSON.createObjectNode().put("type", "content_block_stop").put("index", 0)));
      ObjectNode messageDelta = JSON.createObjectNode().put("type", "message_delta");
      messageDelta.putObject("delta").put("stop_reason", stopReason).putNull("stop_sequence");
      messageDelta.putObject("usage").put("output_tokens", words.size());
      rest.add(new DeferredEvent("message_delta", messageDelta));
      rest.add(
          new DeferredEvent("message_stop", JSON.createObjectNode().put("type", "message_stop")));
      writeNext(ctx, rest, 0, HttpUtil.isKeepAlive(request));
    }

    /**
     * Writes one event per tick on the channel's own loop (no thread waits), then ends the
     * response; stops when the caller has gone.
     */
    private void writeNext(
        ChannelHandlerContext ctx, List<DeferredEvent> events, int next, boolean keepAlive) {
      if (!ctx.channel().isActive()) {
        return;
      }
      if (next == events.size()) {
        var written = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
          written.addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }
        return;
      }
      DeferredEvent event = events.get(next);
      ctx.writeAndFlush(event(event.name(), event.data()))
          .addListener(
              written -> {
                if (!written.isSuccess()) {
                  return;
                }
                if (deltaInterval.isZero()) {
                  writeNext(ctx, events, next + 1, keepAlive);
                } else {
                  ctx.executor()
                      .schedule(
                          () -> writeNext(ctx, events, next + 1, keepAlive),
                          deltaInterval.toNanos(),
                          TimeUnit.NANOSECONDS);
                }
              });
    }
  }

  private record DeferredEvent(String name, JsonNode data) {}

  private static ObjectNode messageHead(String id, String model) {
    return JSON.createObjectNode()
        .put("id", id)
        .put("type", "message")
        .put("role", "assistant")
        .put("model", model);
  }

  private static DefaultHttpContent event(String name, JsonNode data) {
    return new DefaultHttpContent(
        Unpooled.copiedBuffer(
            "event: " + name + "\ndata: " + data + "\n\n", StandardCharsets.UTF_8));
  }

  private static ObjectNode models() {
    ObjectNode page = JSON.createObjectNode();
    ArrayNode data = page.putArray("data");
    for (String[] model :
        new String[][] {
          {"claude-sonnet-4-5", "Claude Sonnet 4.5 (simulated)"},
          {"claude-haiku-4-5", "Claude Haiku 4.5 (simulated)"},
          {"claude-opus-4-1", "Claude Opus 4.1 (simulated)"}
        }) {
      data.addObject()
          .put("type", "model")
          .put("id", model[0])
          .put("display_name", model[1])
          .put("created_at", "2025-01-01T00:00:00Z");
    }
    page.put("has_more", false);
    page.put("first_id", "claude-sonnet-4-5");
    page.put("last_id", "claude-opus-4-1");
    return page;
  }

  private static void json(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      HttpResponseStatus status,
      JsonNode body) {
    LoopbackServer.respond(
        ctx,
        request,
        status,
        "application/json",
        body.toString(),
        "request-id",
        "req_simulated_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16),
        HEADER,
        "true");
  }

  private static void error(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      HttpResponseStatus status,
      String type,
      String message) {
    ObjectNode body = JSON.createObjectNode().put("type", "error");
    body.putObject("error").put("type", type).put("message", message);
    json(ctx, request, status, body);
  }
}
