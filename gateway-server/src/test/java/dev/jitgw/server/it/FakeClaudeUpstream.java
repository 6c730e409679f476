package dev.jitgw.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small in-test server that speaks enough of the Claude Messages API for the official SDK:
 * messages (JSON and SSE), count_tokens, models. The request's {@code model} picks a scenario:
 *
 * <ul>
 *   <li>{@code claude-test-reset}: stream {@code message_start} and one delta, then reset the
 *       connection;
 *   <li>{@code claude-test-400}: answer an Anthropic-shaped 400 error;
 *   <li>{@code claude-test-silent}: never answer (for head timeouts);
 *   <li>{@code claude-test-endless}: stream text deltas for as long as the reader keeps up,
 *       counting the bytes it handed to the socket (for backpressure tests);
 *   <li>{@code claude-test-secrets}: answer {@link #SECRET_TEXT} and a tool call with a password
 *       (streamed: one character per event, the tool input in small partial-JSON pieces);
 *   <li>{@code claude-test-gzip}: a gzip-encoded JSON answer, whatever the request accepted;
 *   <li>{@code claude-test-bad-event}: a stream with a malformed event before a planted key;
 *   <li>{@code claude-test-overloaded-stream}: a 200 stream that carries {@code message_start} and
 *       then an in-stream {@code overloaded_error} event, as the real API does under load;
 *   <li>{@code claude-test-429}: a {@code rate_limit_error} with {@code retry-after: 17};
 *   <li>{@code claude-test-529}: an {@code overloaded_error} with status 529;
 *   <li>{@code claude-test-204}: 204 No Content, no body;
 *   <li>{@code claude-test-drop-connection}: like {@code claude-test-reset}, but over HTTP/2 it
 *       resets the whole connection, not only its stream;
 *   <li>{@code claude-test-slow-first-byte}: a normal answer whose first byte comes after {@link
 *       #SLOW_FIRST_BYTE};
 *   <li>{@code claude-test-stall}: a 200 stream that stops after {@code message_start} and keeps
 *       the connection open without sending anything more;
 *   <li>anything else: a normal answer.
 * </ul>
 *
 * Every request is recorded, so tests can assert what reached the upstream, or that nothing did.
 */
public final class FakeClaudeUpstream implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TEXT = "Hello from the test upstream";

  /** A planted Anthropic key (fake) the {@code claude-test-secrets} model answers with. */
  public static final String PLANTED_KEY = "sk-ant-api03-" + "Zq7xW2vLk9RtY4mNp8sB3cDf6gHj1K";

  /** A planted e-mail address the {@code claude-test-secrets} model answers with. */
  public static final String PLANTED_EMAIL = "jane.doe@example.com";

  /** The {@code password} value of the planted tool input. */
  public static final String PLANTED_PASSWORD = "correct-horse-battery";

  /** The text the {@code claude-test-secrets} model answers (streamed one character at a time). */
  public static final String SECRET_TEXT =
      "Use key " + PLANTED_KEY + " and mail " + PLANTED_EMAIL + " — café ☕ done.";

  /** The tool input the {@code claude-test-secrets} model answers. */
  public static final String SECRET_TOOL_INPUT =
      "{\"user\":\"jane\",\"password\":\"" + PLANTED_PASSWORD + "\",\"note\":\"ok\"}";

  /** How long {@code claude-test-slow-first-byte} waits before its first byte, by default. */
  static final java.time.Duration SLOW_FIRST_BYTE = java.time.Duration.ofSeconds(1);

  static final String RATE_LIMITED =
      "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of"
          + " request tokens has exceeded your per-minute rate limit\"},\"request_id\":\"req_429\"}";

  static final String OVERLOADED =
      "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},"
          + "\"request_id\":\"req_529\"}";

  /** One request as the upstream received it. */
  public record Recorded(String method, String uri, HttpHeaders headers, String body) {}

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  private final Channel server;
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final AtomicLong endlessBytesWritten = new AtomicLong();
  private final AtomicInteger openConnections = new AtomicInteger();
  private final AtomicInteger acceptedConnections = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicBoolean refuseNext =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final AtomicInteger refusedStreams = new AtomicInteger();
  private volatile java.time.Duration refuseAfter = java.time.Duration.ZERO;
  private volatile boolean goAwayWithRefusal;
  private volatile java.time.Duration settingsDelay = java.time.Duration.ZERO;
  private volatile java.time.Duration slowFirstByte = SLOW_FIRST_BYTE;
  private final List<Channel> http2Connections = new CopyOnWriteArrayList<>();
  private final long maxStreams;
  private final AtomicInteger closedEndlessStreams = new AtomicInteger();
  private final List<String> sniNames = new CopyOnWriteArrayList<>();
  private final AtomicInteger exchanges = new AtomicInteger();
  private volatile String acceptedAssertion;
  private volatile int tokenLifetimeSeconds = 600;

  public FakeClaudeUpstream() {
    this(null);
  }

  public FakeClaudeUpstream(SslContext ssl) {
    this(ssl, false, -1);
  }

  /**
   * An upstream that speaks HTTP/2 only: with {@code ssl} (whose ALPN must offer {@code h2}) over
   * TLS, else cleartext with prior knowledge. Each stream is answered as a connection would be.
   */
  public static FakeClaudeUpstream http2(SslContext ssl) {
    return new FakeClaudeUpstream(ssl, true, -1);
  }

  /** {@link #http2(SslContext)} that allows at most {@code maxStreams} streams per connection. */
  public static FakeClaudeUpstream http2(SslContext ssl, long maxStreams) {
    return new FakeClaudeUpstream(ssl, true, maxStreams);
  }

  private FakeClaudeUpstream(SslContext ssl, boolean http2, long maxStreams) {
    this.maxStreams = maxStreams;
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    openConnections.incrementAndGet();
                    acceptedConnections.incrementAndGet();
                    ch.closeFuture().addListener(f -> openConnections.decrementAndGet());
                    if (ssl != null) {
                      ch.pipeline()
                          .addLast(
                              new SniHandler(
                                  (Mapping<String, SslContext>)
                                      host -> {
                                        sniNames.add(String.valueOf(host));
                                        return ssl;
                                      }));
                    }
                    if (http2 && ssl != null) {
                      // The server's SETTINGS must wait for the handshake, or they go out in clear.
                      ch.pipeline()
                          .addLast(
                              new ApplicationProtocolNegotiationHandler("none") {
                                @Override
                                protected void configurePipeline(
                                    ChannelHandlerContext ctx, String protocol) {
                                  addHttp2Handlers(ctx.pipeline());
                                }
                              });
                      return;
                    }
                    if (http2) {
                      java.time.Duration delay = settingsDelay;
                      if (delay.isZero()) {
                        addHttp2Handlers(ch.pipeline());
                        return;
                      }
                      // Nothing is read or sent (the SETTINGS included) until the delay is over.
                      ch.config().setAutoRead(false);
                      ch.eventLoop()
                          .schedule(
                              () -> {
                                addHttp2Handlers(ch.pipeline());
                                ch.config().setAutoRead(true);
                              },
                              delay.toMillis(),
                              java.util.concurrent.TimeUnit.MILLISECONDS);
                      return;
                    }
                    ch.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(64 * 1024 * 1024))
                        .addLast(new Handler());
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
  }

  private void addHttp2Handlers(ChannelPipeline pipeline) {
    Channel connection = pipeline.channel();
    http2Connections.add(connection);
    connection.closeFuture().addListener(f -> http2Connections.remove(connection));
    Http2Settings settings = Http2Settings.defaultSettings();
    if (maxStreams >= 0) {
      settings.maxConcurrentStreams(maxStreams);
    }
    pipeline
        .addLast(Http2FrameCodecBuilder.forServer().initialSettings(settings).build())
        .addLast(
            new Http2MultiplexHandler(
                new ChannelInitializer<Http2StreamChannel>() {
                  @Override
                  protected void initChannel(Http2StreamChannel stream) {
                    stream
                        .pipeline()
                        .addLast(new RefuseOnHeaders())
                        .addLast(new Http2StreamFrameToHttpObjectCodec(true))
                        .addLast(new HttpObjectAggregator(64 * 1024 * 1024))
                        .addLast(new Handler());
                  }
                }));
  }

  /**
   * HTTP/2 only: the next stream is reset with {@code REFUSED_STREAM} as soon as its HEADERS come
   * (not processed, as a server under load says), before its body.
   */
  public void refuseNextStream() {
    refuseNextStream(java.time.Duration.ZERO);
  }

  /** {@link #refuseNextStream()}, the reset sent {@code after} the HEADERS came. */
  public void refuseNextStream(java.time.Duration after) {
    refuseNextStream(after, false);
  }

  /**
   * {@link #refuseNextStream(java.time.Duration)}; with {@code goAway}, the connection's {@code
   * GOAWAY} goes just before the reset, so the request is sent again on a new connection.
   */
  public void refuseNextStream(java.time.Duration after, boolean goAway) {
    refuseAfter = after;
    goAwayWithRefusal = goAway;
    refuseNext.set(true);
  }

  /** HTTP/2 cleartext only: a new connection's SETTINGS (and all else) come {@code delay} late. */
  public void delayNewConnections(java.time.Duration delay) {
    settingsDelay = delay;
  }

  /**
   * How long {@code claude-test-slow-first-byte} waits from now on (default {@link
   * #SLOW_FIRST_BYTE}).
   */
  public void slowFirstByte(java.time.Duration delay) {
    slowFirstByte = delay;
  }

  /**
   * HTTP/2 only: sends {@code GOAWAY} ({@code NO_ERROR}, no stream processed past those open) on
   * every connection, as a server that is shutting down does; the connections stay open.
   */
  public void goAway() {
    for (Channel connection : http2Connections) {
      connection
          .writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR))
          .syncUninterruptibly();
    }
  }

  /** Streams reset by {@link #refuseNextStream}. */
  public int refusedStreams() {
    return refusedStreams.get();
  }

  private final class RefuseOnHeaders extends io.netty.channel.ChannelInboundHandlerAdapter {
    private boolean refusing;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2HeadersFrame && refuseNext.compareAndSet(true, false)) {
        refusing = true;
        refusedStreams.incrementAndGet();
        boolean goAway = goAwayWithRefusal;
        ctx.executor()
            .schedule(
                () -> {
                  if (goAway) {
                    ctx.channel()
                        .parent()
                        .writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
                  }
                  ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
                },
                refuseAfter.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
      }
      if (refusing) {
        io.netty.util.ReferenceCountUtil.release(msg); // not processed: the body goes nowhere
        return;
      }
      ctx.fireChannelRead(msg);
    }
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  public List<Recorded> requests() {
    return requests;
  }

  public Recorded lastRequest() {
    return requests.get(requests.size() - 1);
  }

  public long endlessBytesWritten() {
    return endlessBytesWritten.get();
  }

  public int closedEndlessStreams() {
    return closedEndlessStreams.get();
  }

  /** The TLS server names (SNI) callers sent, {@code "null"} for none. */
  public List<String> sniNames() {
    return sniNames;
  }

  public int openConnections() {
    return openConnections.get();
  }

  /** TCP connections accepted since start. */
  public int acceptedConnections() {
    return acceptedConnections.get();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request)
        throws Exception {
      String body = request.content().toString(StandardCharsets.UTF_8);
      requests.add(
          new Recorded(request.method().name(), request.uri(), request.headers().copy(), body));
      String path = request.uri().split("\\?", 2)[0];
      switch (path) {
        case "/v1/models" -> json(ctx, request, 200, models());
        case "/v1/messages/count_tokens" -> json(ctx, request, 200, "{\"input_tokens\":42}");
        case "/v1/messages" -> messages(ctx, request, JSON.readTree(body));
        case "/v1/echo" -> json(ctx, request, 200, JSON.writeValueAsString(Map.of("ok", true)));
        case "/v1/messages/batches/msgbatch_test" -> json(ctx, request, 200, batch());
        case "/v1/messages/batches/msgbatch_test/results" -> {
          // As the API serves batch results: JSON Lines under a binary content type.
          String line1 =
              "{\"custom_id\":\"one\",\"result\":{\"type\":\"succeeded\",\"message\":"
                  + secretMessage("claude-test-secrets")
                  + "}}";
          String line2 =
              "{\"custom_id\":\"two\",\"result\":{\"type\":\"errored\",\"error\":"
                  + "{\"type\":\"invalid_request_error\",\"message\":\"bad\"}}}";
          bytes(ctx, request, "application/binary", line1 + "\n" + line2 + "\n");
        }
        case "/v1/files/file_test/content" ->
            bytes(ctx, request, "text/plain", "notes: " + PLANTED_KEY + "\n");
        case "/v1/oauth/token" -> tokenExchange(ctx, request, JSON.readTree(body));
        default ->
            json(
                ctx,
                request,
                404,
                "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"no"
                    + " route\"}}");
      }
    }

    private void messages(ChannelHandlerContext ctx, FullHttpRequest request, JsonNode body) {
      String model = body.path("model").asText("claude-test-1");
      boolean stream = body.path("stream").asBoolean(false);
      switch (model) {
        case "claude-test-400" ->
            json(
                ctx,
                request,
                400,
                "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                    + "\"message\":\"max_tokens: 99999999 > 64000, the maximum for this model\"},"
                    + "\"request_id\":\"req_upstream_1\"}");
        case "claude-test-silent" -> {
          // Never answer.
        }
        case "claude-test-reset" -> partialThenReset(ctx, model, ctx.channel());
        case "claude-test-drop-connection" ->
            // Over HTTP/2 the whole connection goes, with every other stream on it.
            partialThenReset(
                ctx,
                model,
                ctx.channel() instanceof Http2StreamChannel
                    ? ctx.channel().parent()
                    : ctx.channel());
        case "claude-test-secrets" -> {
          if (stream) {
            secretStream(ctx);
          } else {
            json(ctx, request, 200, secretMessage(model));
          }
        }
        case "claude-test-gzip" -> {
          FullHttpResponse response =
              new DefaultFullHttpResponse(
                  HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(gzip()));
          response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
          response.headers().set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
          response
              .headers()
              .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
          ctx.writeAndFlush(response);
        }
        case "claude-test-bad-event" -> {
          startStream(ctx);
          ctx.write(event("message_start", messageStart(model)));
          ctx.write(event("content_block_start", blockStart()));
          ctx.write(event("content_block_delta", textDelta("fine so far ")));
          ctx.write(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"));
          ctx.write(event("content_block_delta", textDelta(PLANTED_KEY)));
          ctx.write(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
          ctx.write(event("message_stop", "{\"type\":\"message_stop\"}"));
          ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        case "claude-test-overloaded-stream" -> {
          startStream(ctx);
          ctx.write(event("message_start", messageStart(model)));
          ctx.write(event("error", OVERLOADED));
          ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        case "claude-test-429" -> {
          FullHttpResponse response = jsonResponse(429, RATE_LIMITED);
          response.headers().set("retry-after", "17");
          response.headers().set("anthropic-ratelimit-requests-remaining", "0");
          ctx.writeAndFlush(response);
        }
        case "claude-test-529" -> ctx.writeAndFlush(jsonResponse(529, OVERLOADED));
        case "claude-test-204" ->
            ctx.writeAndFlush(
                new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER));
        case "claude-test-slow-first-byte" -> {
          JsonNode fast = body.deepCopy();
          ((com.fasterxml.jackson.databind.node.ObjectNode) fast).put("model", "claude-test-1");
          FullHttpRequest retained = request.retainedDuplicate();
          io.netty.util.concurrent.ScheduledFuture<?> answer =
              ctx.executor()
                  .schedule(
                      () -> {
                        try {
                          messages(ctx, retained, fast);
                        } finally {
                          retained.release();
                        }
                      },
                      slowFirstByte.toMillis(),
                      java.util.concurrent.TimeUnit.MILLISECONDS);
          // The caller may leave (a gateway that timed out) before the answer is due.
          ctx.channel()
              .closeFuture()
              .addListener(
                  closed -> {
                    if (answer.cancel(false)) {
                      retained.release();
                    }
                  });
        }
        case "claude-test-stall" -> {
          startStream(ctx);
          ctx.writeAndFlush(event("message_start", messageStart(model)));
          // Then nothing, with the connection left open.
        }
        case "claude-test-endless" -> {
          startStream(ctx);
          ctx.write(event("message_start", messageStart(model)));
          ctx.writeAndFlush(event("content_block_start", blockStart()));
          ctx.channel().closeFuture().addListener(f -> closedEndlessStreams.incrementAndGet());
          ctx.pipeline().addLast(new EndlessWriter());
          ctx.pipeline().get(EndlessWriter.class).pump(ctx.pipeline().lastContext());
        }
        default -> {
          if (stream) {
            startStream(ctx);
            ctx.write(event("message_start", messageStart(model)));
            ctx.write(event("content_block_start", blockStart()));
            ctx.write(event("ping", "{\"type\": \"ping\"}"));
            for (String word : TEXT.split("(?<= )")) {
              ctx.write(event("content_block_delta", textDelta(word)));
            }
            ctx.write(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
            ctx.write(
                event(
                    "message_delta",
                    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                        + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":6}}"));
            ctx.write(event("message_stop", "{\"type\":\"message_stop\"}"));
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
          } else {
            json(ctx, request, 200, message(model));
          }
        }
      }
    }
  }

  /**
   * A text block with {@link #SECRET_TEXT} one character per delta (each in its own network write,
   * so values are split across events and chunks), then a tool-use block whose input arrives as
   * partial JSON in small pieces.
   */
  private static void secretStream(ChannelHandlerContext ctx) {
    startStream(ctx);
    ctx.writeAndFlush(event("message_start", messageStart("claude-test-secrets")));
    ctx.writeAndFlush(event("content_block_start", blockStart()));
    SECRET_TEXT
        .codePoints()
        .forEach(
            cp ->
                ctx.writeAndFlush(event("content_block_delta", textDelta(Character.toString(cp)))));
    ctx.writeAndFlush(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
    ctx.writeAndFlush(
        event(
            "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
                + "\"tool_use\",\"id\":\"toolu_1\",\"name\":\"login\",\"input\":{}}}"));
    for (int i = 0; i < SECRET_TOOL_INPUT.length(); i += 5) {
      String piece = SECRET_TOOL_INPUT.substring(i, Math.min(SECRET_TOOL_INPUT.length(), i + 5));
      try {
        ctx.writeAndFlush(
            event(
                "content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
                    + "\"input_json_delta\",\"partial_json\":"
                    + JSON.writeValueAsString(piece)
                    + "}}"));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    ctx.writeAndFlush(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"));
    ctx.writeAndFlush(
        event(
            "message_delta",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
                + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":6}}"));
    ctx.writeAndFlush(event("message_stop", "{\"type\":\"message_stop\"}"));
    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  static String secretMessage(String model) {
    try {
      return "{\"id\":\"msg_test_3\",\"type\":\"message\",\"role\":\"assistant\","
          + "\"model\":\""
          + model
          + "\",\"content\":[{\"type\":\"text\",\"text\":"
          + JSON.writeValueAsString(SECRET_TEXT)
          + "},{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"login\",\"input\":"
          + SECRET_TOOL_INPUT
          + "}],\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
          + "\"usage\":{\"input_tokens\":12,\"output_tokens\":6}}";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] gzip() {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(bytes)) {
      out.write(secretMessage("claude-test-gzip").getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  /** Writes deltas whenever the channel is writable: a fast producer that obeys backpressure. */
  private final class EndlessWriter extends io.netty.channel.ChannelInboundHandlerAdapter {
    private int sequence;

    void pump(ChannelHandlerContext ctx) {
      Channel ch = ctx.channel();
      while (ch.isActive() && ch.isWritable()) {
        DefaultHttpContent chunk =
            event(
                "content_block_delta", textDelta("chunk " + (sequence++) + " " + "x".repeat(900)));
        endlessBytesWritten.addAndGet(chunk.content().readableBytes());
        ch.write(chunk);
      }
      ch.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        pump(ctx);
      }
      ctx.fireChannelWritabilityChanged();
    }
  }

  /**
   * Starts a stream ({@code message_start}, a block, one delta), then resets {@code toReset}: the
   * stream's own channel, or over HTTP/2 its whole connection.
   */
  private static void partialThenReset(ChannelHandlerContext ctx, String model, Channel toReset) {
    startStream(ctx);
    ctx.write(event("message_start", messageStart(model)));
    ctx.write(event("content_block_start", blockStart()));
    ctx.writeAndFlush(event("content_block_delta", textDelta("partial ")))
        .addListener(
            f -> {
              toReset.config().setOption(ChannelOption.SO_LINGER, 0);
              toReset.close();
            });
  }

  private static void startStream(ChannelHandlerContext ctx) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    head.headers().set("request-id", "req_upstream_stream");
    HttpUtil.setTransferEncodingChunked(head, true);
    ctx.write(head);
  }

  static DefaultHttpContent event(String name, String data) {
    ByteBuf bytes =
        Unpooled.copiedBuffer(
            "event: " + name + "\ndata: " + data + "\n\n", StandardCharsets.UTF_8);
    return new DefaultHttpContent(bytes);
  }

  private static FullHttpResponse jsonResponse(int status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(status),
            Unpooled.wrappedBuffer(bytes));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    response.headers().set("request-id", "req_upstream_json");
    return response;
  }

  private static void bytes(
      ChannelHandlerContext ctx, FullHttpRequest request, String contentType, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    ctx.writeAndFlush(response);
  }

  private static void json(
      ChannelHandlerContext ctx, FullHttpRequest request, int status, String body) {
    FullHttpResponse response = jsonResponse(status, body);
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    HttpUtil.setKeepAlive(response, keepAlive);
    var future = ctx.writeAndFlush(response);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }

  static String message(String model) {
    return "{\"id\":\"msg_test_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\""
        + model
        + "\",\"content\":[{\"type\":\"text\",\"text\":\""
        + TEXT
        + "\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
        + "\"usage\":{\"input_tokens\":12,\"output_tokens\":6}}";
  }

  private static String messageStart(String model) {
    return "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_test_2\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\""
        + model
        + "\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
        + "\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}";
  }

  private static String blockStart() {
    return "{\"type\":\"content_block_start\",\"index\":0,"
        + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}";
  }

  private static String textDelta(String text) {
    try {
      return "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
          + "\"text\":"
          + JSON.writeValueAsString(text)
          + "}}";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The upstream's workload identity federation (RFC 7523 jwt-bearer): accepts the configured
   * assertion and rule, answers a short-lived access token, numbered so tests can tell refreshes.
   */
  private void tokenExchange(ChannelHandlerContext ctx, FullHttpRequest request, JsonNode body) {
    boolean valid =
        "urn:ietf:params:oauth:grant-type:jwt-bearer".equals(body.path("grant_type").asText())
            && acceptedAssertion != null
            && acceptedAssertion.equals(body.path("assertion").asText())
            && "fdrl_gateway".equals(body.path("federation_rule_id").asText())
            && "org_test".equals(body.path("organization_id").asText());
    if (!valid) {
      json(ctx, request, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"no\"}");
      return;
    }
    int n = exchanges.incrementAndGet();
    json(
        ctx,
        request,
        200,
        "{\"access_token\":\"sk-ant-oat-test-"
            + n
            + "\",\"token_type\":\"Bearer\",\"expires_in\":"
            + tokenLifetimeSeconds
            + "}");
  }

  /** Accepts this assertion at /v1/oauth/token, granting tokens of the given lifetime. */
  public void acceptFederation(String assertion, int lifetimeSeconds) {
    this.acceptedAssertion = assertion;
    this.tokenLifetimeSeconds = lifetimeSeconds;
  }

  public int tokenExchanges() {
    return exchanges.get();
  }

  /** A finished batch whose results_url points at this upstream, as the real API's does. */
  private String batch() {
    return "{\"id\":\"msgbatch_test\",\"type\":\"message_batch\",\"processing_status\":\"ended\","
        + "\"request_counts\":{\"processing\":0,\"succeeded\":2,\"errored\":0,\"canceled\":0,"
        + "\"expired\":0},\"ended_at\":\"2026-11-29T00:10:00Z\",\"created_at\":\"2026-11-29T00:00:00Z\","
        + "\"expires_at\":\"2026-11-30T00:00:00Z\",\"archived_at\":null,\"cancel_initiated_at\":null,"
        + "\"results_url\":\""
        + url()
        + "/v1/messages/batches/msgbatch_test/results\"}";
  }

  private static String models() {
    return "{\"data\":[{\"type\":\"model\",\"id\":\"claude-test-1\",\"display_name\":\"Claude"
        + " Test\",\"created_at\":\"2025-01-01T00:00:00Z\"}],\"has_more\":false,"
        + "\"first_id\":\"claude-test-1\",\"last_id\":\"claude-test-1\"}";
  }
}
