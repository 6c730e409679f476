package dev.jitgw.server.dataplane;

import static java.util.Objects.requireNonNull;

import dev.jitgw.audit.record.ExchangeRecorder;
import dev.jitgw.core.config.Durations;
import dev.jitgw.core.config.UpstreamConfig;
import dev.jitgw.core.credential.UpstreamAuth;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.Exchange;
import dev.jitgw.core.exchange.ExchangeId;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.core.stage.LocalEndpoint;
import dev.jitgw.core.stage.RequestStage;
import dev.jitgw.policy.approval.ApprovalHold;
import dev.jitgw.policy.approval.ApprovalService;
import dev.jitgw.policy.approval.BodyDigest;
import dev.jitgw.policy.approval.Outcome;
import dev.jitgw.policy.limits.LimitStage;
import dev.jitgw.policy.limits.Reservation;
import dev.jitgw.policy.limits.Usage;
import dev.jitgw.policy.limits.UsageAccumulator;
import dev.jitgw.policy.masking.JsonBodyMasker;
import dev.jitgw.policy.masking.MaskingException;
import dev.jitgw.policy.masking.MaskingProfile;
import dev.jitgw.policy.masking.SseMasker;
import dev.jitgw.policy.rules.PolicyStage;
import dev.jitgw.server.http.ErrorResponses;
import dev.jitgw.server.http.ProxyHeaders;
import dev.jitgw.server.http.UpstreamUrlRewriter;
import dev.jitgw.server.metrics.GatewayMetrics;
import dev.jitgw.server.upstream.UpstreamConnection;
import dev.jitgw.server.upstream.UpstreamResponseListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the exchanges of one caller connection, one at a time: reads the request head, buffers the
 * body up to the cap, runs the request stages, forwards to the upstream and streams the response
 * back with backpressure both ways.
 *
 * <p>Everything here runs on the connection's event loop (upstream connections are leased on the
 * same loop), so the state needs no locking. Auto-read is off: the caller is read only while the
 * handler wants input, and the upstream is read only while the caller keeps up ({@link
 * #onReadComplete} and {@link #channelWritabilityChanged}).
 */
final class ExchangeHandler extends ChannelDuplexHandler implements UpstreamResponseListener {
  private static final Logger log = LoggerFactory.getLogger(ExchangeHandler.class);
  private static final Logger exchangeLog = LoggerFactory.getLogger("jitgw.exchange");

  /** Pipelined messages held while an exchange runs; past this the caller is not read. */
  private static final int MAX_PENDING = 16;

  /** How long a closing connection reads what its caller still sends (closeAfterAnswer). */
  private static final long LINGER_MILLIS = 2_000;

  private enum State {
    IDLE,
    AUTHENTICATING,
    READING_BODY,
    PROCESSING,
    HOLDING,
    FORWARDING,
    RESPONDING,
    CLOSING
  }

  private final DataPlane dataPlane;
  private final RefusalRecorder refusals;
  private final long maxBodyBytes;

  /**
   * The body cap of the current exchange: the configured one, or a local endpoint's smaller one.
   */
  private long bodyCap;

  private final UpstreamUrlRewriter urlRewriter;
  private final ArrayDeque<Object> pending = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private State state = State.IDLE;
  private boolean drainRequested;

  /** Closing: the output is shut, and what the caller still sends is read and dropped. */
  private boolean lingering;

  // The current exchange.
  private Exchange exchange;
  private ExchangeRecorder recorder;
  private UsageAccumulator usage;
  private long processingNanos;
  private long forwardNanos;

  /** When the exchange was first sent upstream: upstream.response_timeout runs from here. */
  private long firstSendNanos;

  private boolean forwarded;

  /** Whether the request went upstream a second time after its first stream was not processed. */
  private boolean resent;

  private int upstreamStatus;
  private CompositeByteBuf body;
  private boolean keepAlive;
  private boolean expectContinue;
  private boolean bodyExpected;

  /** Set when the gateway answers this request itself (its token endpoint). */
  private LocalEndpoint local;

  private UpstreamConnection upstream;
  private ScheduledFuture<?> headTimeout;
  private ScheduledFuture<?> readTimeout;
  private boolean skippingInformational;
  private boolean streaming;
  private boolean chunkedResponse;
  private boolean upstreamReusable;
  private boolean pausedByCaller;
  private int status;

  /** A response held back whole so its upstream URLs can be rewritten before it is sent. */
  private HttpResponse heldHead;

  private CompositeByteBuf heldBody;

  /** Whether the held JSON response is JSON Lines (batch results), masked line by line. */
  private boolean jsonLines;

  /** Whether the held response's upstream URLs are rewritten before it is sent. */
  private boolean heldForRewrite;

  /** The approval the current exchange waits for, while it waits. */
  private ApprovalHold hold;

  private ScheduledFuture<?> pingTimer;

  /**
   * Whether a held streaming request was answered 200 and an event stream already: the upstream's
   * head is then not sent, and a later failure is an SSE error event.
   */
  private boolean heldStreamStarted;

  /** A held stream's upstream answered with an error body: it becomes an SSE error event. */
  private boolean errorIntoStream;

  /** Masks a held JSON response at its end; null when no masking applies. */
  private JsonBodyMasker jsonMasker;

  /** Masks a streamed response event by event; null when no masking applies. */
  private SseMasker sseMasker;

  /** Values masked in this response, by detector; null when no masking applied. */
  private Map<String, Long> maskCounts;

  ExchangeHandler(DataPlane dataPlane) {
    this(dataPlane, new RefusalRecorder(dataPlane.audit()));
  }

  ExchangeHandler(DataPlane dataPlane, RefusalRecorder refusals) {
    this.dataPlane = requireNonNull(dataPlane, "dataPlane");
    this.refusals = requireNonNull(refusals, "refusals");
    this.maxBodyBytes = dataPlane.config().http().maxBodySize().bytes();
    UpstreamConfig upstream = dataPlane.config().upstream();
    this.urlRewriter =
        new UpstreamUrlRewriter(
            upstream.url().getScheme()
                + "://"
                + upstream.url().getRawAuthority()
                + upstream.basePath());
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    armReadTimeout();
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!pending.isEmpty()) {
      pending.add(msg);
      processPending();
    } else {
      route(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Keep one read armed so a caller that leaves is noticed at once (and the upstream request
    // cancelled), but hold at most MAX_PENDING pipelined messages.
    if (lingering || (state != State.CLOSING && pending.size() < MAX_PENDING)) {
      ctx.read();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && pausedByCaller && upstream != null) {
      pausedByCaller = false;
      upstream.channel().read();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == DrainEvent.INSTANCE) {
      drainRequested = true;
      keepAlive = false;
      if (state == State.IDLE && pending.isEmpty()) {
        state = State.CLOSING;
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    State was = state;
    state = State.CLOSING;
    cancelReadTimeout();
    if (exchange != null) {
      // The caller left: cancel the upstream request by closing its connection.
      log.debug("{}: caller disconnected while {}", exchange.id(), was);
      endExchange("aborted");
    }
    releaseBody();
    releasePending();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      log.debug("caller connection {} failed: {}", ctx.channel(), cause.toString());
    } else {
      log.warn("caller connection {} failed", ctx.channel(), cause);
    }
    ctx.close();
  }

  // ---- caller input ---------------------------------------------------------------------------

  private void route(Object msg) {
    switch (state) {
      case IDLE -> dispatch(msg);
      case READING_BODY -> {
        if (msg instanceof HttpContent content && !(msg instanceof HttpRequest)) {
          onBodyContent(content);
        } else if (msg instanceof Rejection rejection) {
          reject(rejection);
        } else {
          pending.add(msg);
        }
      }
      case CLOSING -> ReferenceCountUtil.release(msg);
      default -> pending.add(msg);
    }
  }

  private void processPending() {
    while (!pending.isEmpty()) {
      Object next = pending.peek();
      boolean routable =
          state == State.IDLE
              || state == State.CLOSING
              || (state == State.READING_BODY
                  && ((next instanceof HttpContent && !(next instanceof HttpRequest))
                      || next instanceof Rejection));
      if (!routable) {
        return;
      }
      route(pending.poll());
    }
  }

  private void dispatch(Object msg) {
    if (msg instanceof Rejection rejection) {
      reject(rejection);
    } else if (msg instanceof HttpRequest request) {
      onRequestHead(request);
    } else {
      // Content of a request already answered (the caller sent a body we refused to read).
      ReferenceCountUtil.release(msg);
    }
  }

  private void onRequestHead(HttpRequest request) {
    beginExchange(request.method().name(), request.uri(), request.headers());
    keepAlive =
        HttpUtil.isKeepAlive(request) && !drainRequested && !dataPlane.tracker().isDraining();
    local = localEndpointFor(request.method().name(), pathOf(request.uri()));
    GatewayError targetError = local != null ? null : checkTarget(request.uri());
    if (targetError != null) {
      ReferenceCountUtil.release(request);
      respondError(targetError, true);
      return;
    }
    bodyCap = local == null ? maxBodyBytes : Math.min(maxBodyBytes, local.maxBodyBytes());
    long declared = HttpUtil.getContentLength(request, -1L);
    if (declared > bodyCap) {
      ReferenceCountUtil.release(request);
      respondError(tooLarge(), true);
      return;
    }
    expectContinue = HttpUtil.is100ContinueExpected(request);
    bodyExpected = declared > 0 || HttpUtil.isTransferEncodingChunked(request);
    if (request instanceof HttpContent content) {
      // A request that arrived whole: its body waits like any other until the head is verified.
      pending.addFirst(new DefaultLastHttpContent(content.content()));
    }
    if (local != null) {
      // A local endpoint authenticates its caller itself (the token endpoint's assertion is in
      // the body).
      startReadingBody();
      return;
    }
    // The caller is verified on the head alone, before its body is read (contract section 2).
    cancelReadTimeout();
    state = State.AUTHENTICATING;
    runStages(dataPlane.headStages(), 0, State.AUTHENTICATING, this::startReadingBody);
  }

  private void startReadingBody() {
    if (expectContinue) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
    body = ctx.alloc().compositeBuffer(1024);
    state = State.READING_BODY;
    armReadTimeout();
    processPending();
    if (state == State.READING_BODY) {
      ctx.read();
    }
  }

  private void onBodyContent(HttpContent content) {
    ByteBuf data = content.content();
    if ((long) body.readableBytes() + data.readableBytes() > bodyCap) {
      content.release();
      releaseBody();
      respondError(tooLarge(), true);
      return;
    }
    if (data.isReadable()) {
      body.addComponent(true, data.retain());
    }
    boolean last = content instanceof LastHttpContent;
    content.release();
    if (last) {
      cancelReadTimeout();
      CompositeByteBuf parts = body;
      body = null; // released by ownCopy, whatever happens
      exchange.body(ownCopy(parts));
      bodyExpected = false;
      state = State.PROCESSING;
      processingNanos = System.nanoTime();
      if (local != null) {
        runLocal(local);
      } else {
        runStages(dataPlane.stages(), 0, State.PROCESSING, this::recordThenForward);
      }
    }
  }

  /**
   * The body in a buffer of its own size. Its parts are slices of whole socket reads (up to 64 KiB
   * each, for a body of a few KiB), which the exchange would otherwise keep for as long as it
   * lasts: for an open stream, hours.
   */
  private ByteBuf ownCopy(CompositeByteBuf parts) {
    try {
      ByteBuf copy = ctx.alloc().directBuffer(parts.readableBytes());
      return copy.writeBytes(parts, parts.readerIndex(), parts.readableBytes());
    } finally {
      parts.release();
    }
  }

  private void reject(Rejection rejection) {
    if (exchange == null) {
      beginExchange("-", "-", EmptyHttpHeaders.INSTANCE);
    }
    releaseBody();
    respondError(GatewayError.of(rejection.code(), rejection.message()), true);
  }

  private GatewayError tooLarge() {
    return GatewayError.of(
        ErrorCode.REQUEST_TOO_LARGE,
        "The request body is larger than the limit of "
            + bodyCap
            + " bytes for this route (http.max_body_size is "
            + dataPlane.config().http().maxBodySize()
            + ").");
  }

  /** Only {@code /v1/} is served, as a plain path: no dot segments, no encoded separators. */
  static GatewayError checkTarget(String uri) {
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    if (!path.startsWith("/v1/")) {
      return GatewayError.of(
          ErrorCode.NOT_FOUND,
          "Not found: this port serves the Claude API under /v1/ only"
              + " (the admin API is on the admin listener).");
    }
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.contains("%2f") || lower.contains("%5c") || path.indexOf('\\') >= 0) {
      return GatewayError.of(
          ErrorCode.BAD_REQUEST, "Encoded slashes or backslashes are not allowed in the path.");
    }
    for (String segment : path.split("/", -1)) {
      String decoded = QueryStringDecoder.decodeComponent(segment);
      if (decoded.equals(".") || decoded.equals("..")) {
        return GatewayError.of(
            ErrorCode.BAD_REQUEST, "Dot segments ('.' or '..') are not allowed in the path.");
      }
    }
    if (QueryStringDecoder.decodeComponent(lower).startsWith("/v1/oauth/")) {
      // The gateway's own token endpoint: never forwarded, since the body carries an identity
      // assertion meant for the gateway.
      return GatewayError.of(
          ErrorCode.NOT_FOUND,
          "The token endpoint /v1/oauth/token is not enabled on this gateway.");
    }
    return null;
  }

  // ---- stages ---------------------------------------------------------------------------------

  /**
   * Runs {@code stages} from {@code index}, continuing synchronously while they complete at once
   * and resuming on this connection's event loop when one completes later; then runs {@code next}.
   * The exchange must still be in {@code during} when a stage completes, else it has ended (the
   * caller left) and the result is dropped.
   */
  private void runStages(List<RequestStage> stages, int index, State during, Runnable next) {
    Exchange current = exchange;
    for (int i = index; i < stages.size(); i++) {
      CompletableFuture<Void> step;
      try {
        step = stages.get(i).apply(current).toCompletableFuture();
      } catch (RuntimeException e) {
        step = CompletableFuture.failedFuture(e);
      }
      if (step.isDone() && !step.isCompletedExceptionally()) {
        continue;
      }
      int following = i + 1;
      step.whenComplete(
          (ignored, error) ->
              ctx.executor()
                  .execute(
                      () -> {
                        if (exchange != current || state != during) {
                          return;
                        }
                        if (error != null) {
                          failStage(error);
                        } else {
                          runStages(stages, following, during, next);
                        }
                      }));
      return;
    }
    next.run();
  }

  private LocalEndpoint localEndpointFor(String method, String path) {
    for (LocalEndpoint endpoint : dataPlane.localEndpoints()) {
      if (endpoint.handles(method, path)) {
        return endpoint;
      }
    }
    return null;
  }

  private void runLocal(LocalEndpoint endpoint) {
    Exchange current = exchange;
    CompletableFuture<LocalEndpoint.Response> answer;
    try {
      answer = endpoint.handle(current).toCompletableFuture();
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete(
        (response, error) ->
            ctx.executor()
                .execute(
                    () -> {
                      if (exchange != current || state != State.PROCESSING) {
                        return;
                      }
                      if (error != null) {
                        failStage(error);
                      } else {
                        writeLocal(response);
                      }
                    }));
  }

  private void writeLocal(LocalEndpoint.Response answer) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(answer.status()),
            Unpooled.wrappedBuffer(answer.body()));
    answer.headers().forEach(response.headers()::set);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
    response.headers().set(ProxyHeaders.EXCHANGE_ID, exchange.id());
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    status = answer.status();
    state = State.RESPONDING;
    finishExchange(ctx.writeAndFlush(response), "local");
  }

  private void failStage(Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (state == State.PROCESSING && local == null && !recorder.recorded()) {
      // A refused request (denied, malformed, no credential) is recorded too; nothing goes
      // upstream, so there is nothing to wait for.
      recordRequest();
    }
    // A body we have not read cannot be skipped safely: close after answering.
    boolean close = !keepAlive || (state == State.AUTHENTICATING && bodyExpected);
    if (cause instanceof GatewayException gatewayException) {
      respondError(gatewayException.error(), close);
    } else {
      log.error("{}: stage failed", exchange.id(), cause);
      respondError(
          GatewayError.of(
              ErrorCode.INTERNAL,
              "The gateway failed to process the request; its logs name this exchange id."),
          close);
    }
  }

  // ---- upstream -------------------------------------------------------------------------------

  /**
   * Makes the {@code request} record durable, then forwards; when it cannot be written the caller
   * gets 503 {@code audit_unavailable} and nothing is sent (contract section 7).
   */
  private void recordThenForward() {
    Exchange current = exchange;
    long start = System.nanoTime();
    recordRequest()
        .whenComplete(
            (seq, error) -> {
              dataPlane.metrics().auditRequestRecord(System.nanoTime() - start);
              ctx.executor()
                  .execute(
                      () -> {
                        if (exchange != current || state != State.PROCESSING) {
                          return;
                        }
                        if (error == null) {
                          if (current.decision().orElse(null) instanceof Decision.Hold hold) {
                            startHold(hold);
                          } else {
                            forward();
                          }
                          return;
                        }
                        log.warn(
                            "{}: not forwarded, the audit log failed: {}",
                            current.id(),
                            error.toString());
                        respondError(
                            GatewayError.of(
                                ErrorCode.AUDIT_UNAVAILABLE,
                                "The audit log cannot record this request, so it was not sent;"
                                    + " retry later."),
                            !keepAlive);
                      });
            });
  }

  /**
   * A rule holds the request for approval (contract section 5), once the request and the decision
   * are durable. No thread waits: the hold is a future the approval's decision, its timeout or the
   * caller leaving completes; the caller's connection stays read (pipelined requests queue) so that
   * its leaving is noticed. A streaming request is answered 200 at once and sent pings.
   */
  private void startHold(Decision.Hold rule) {
    ApprovalService approvals = dataPlane.approvals();
    Exchange current = exchange;
    if (approvals == null) {
      respondError(
          GatewayError.of(
                  ErrorCode.POLICY_DENIED,
                  "Rule '"
                      + rule.ruleName()
                      + "' requires approval by "
                      + String.join(", ", rule.approvers())
                      + "; approval holds are not available in this gateway, so the request is"
                      + " denied.")
              .withDetail("rule", rule.ruleName()),
          !keepAlive);
      return;
    }
    ApprovalHold waiting;
    try {
      String digest =
          current
              .body()
              .map(body -> BodyDigest.sha256(body.nioBuffer()))
              .orElseGet(() -> BodyDigest.sha256(new byte[0]));
      waiting =
          approvals.hold(
              current.identity().orElseThrow(),
              rule,
              current.summary().orElseThrow(),
              digest,
              current.id());
    } catch (IllegalStateException e) {
      respondError(
          GatewayError.of(
              ErrorCode.SHUTTING_DOWN, "The gateway is shutting down; retry on another node."),
          true);
      return;
    } catch (RuntimeException e) {
      log.error("{}: cannot hold the request for approval", current.id(), e);
      respondError(
          GatewayError.of(
              ErrorCode.INTERNAL,
              "The gateway failed to hold the request for approval; it was not sent."),
          !keepAlive);
      return;
    }
    hold = waiting;
    state = State.HOLDING;
    if (!waiting.isDone() && current.summary().map(summary -> summary.stream()).orElse(false)) {
      startHeldStream();
    }
    waiting.whenComplete(
        (outcome, failure) ->
            ctx.executor().execute(() -> onHoldDone(current, waiting, outcome, failure)));
  }

  /** Answers a held streaming request 200 at once, and pings it while it waits. */
  private void startHeldStream() {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
        .set(ProxyHeaders.EXCHANGE_ID, exchange.id());
    HttpUtil.setTransferEncodingChunked(head, true);
    if (!keepAlive) {
      head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    heldStreamStarted = true;
    status = 200;
    recordHead(head);
    ctx.writeAndFlush(head);
    long every = dataPlane.config().approvals().pingInterval().toMillis();
    pingTimer = ctx.executor().scheduleAtFixedRate(this::ping, every, every, TimeUnit.MILLISECONDS);
  }

  private static final byte[] PING =
      "event: ping\ndata: {\"type\": \"ping\"}\n\n".getBytes(StandardCharsets.US_ASCII);

  private void ping() {
    if (state != State.HOLDING || !heldStreamStarted) {
      return;
    }
    if (recorder.recorded()) {
      recorder.piece(PING);
    }
    ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(PING)));
  }

  private void cancelPing() {
    if (pingTimer != null) {
      pingTimer.cancel(false);
      pingTimer = null;
    }
  }

  /** The hold ended: forward when approved or granted, otherwise answer with why not. */
  private void onHoldDone(Exchange held, ApprovalHold waiting, Outcome outcome, Throwable failure) {
    if (exchange != held || hold != waiting || state != State.HOLDING) {
      return; // the caller left, and the exchange ended with it
    }
    hold = null;
    cancelPing();
    if (failure != null) {
      log.warn("{}: the approval could not be stored: {}", held.id(), failure.toString());
      recordApproval(waiting, "error", null);
      respondError(
          GatewayError.of(
              ErrorCode.INTERNAL,
              "The approval for this request could not be stored, so it was not sent; retry"
                  + " later."),
          !keepAlive);
      return;
    }
    recordApproval(waiting, outcomeName(outcome), outcome);
    if (outcome.proceeds()) {
      state = State.PROCESSING;
      // The wait is the approver's, not the gateway's; and the credential is taken afresh (a
      // federation token fetched before a long hold may be about to expire).
      processingNanos = System.nanoTime();
      runStages(credentialStages(), 0, State.PROCESSING, this::forward);
      return;
    }
    respondError(
        outcome
            .error()
            .orElseGet(
                () ->
                    GatewayError.of(
                        ErrorCode.SHUTTING_DOWN,
                        "The gateway is shutting down; the held request was not sent. Retry.")),
        !keepAlive || outcome instanceof Outcome.Abandoned);
  }

  private List<RequestStage> credentialStages() {
    return dataPlane.stages().stream()
        .filter(stage -> stage.name().equals("upstream-credential"))
        .toList();
  }

  private static String outcomeName(Outcome outcome) {
    if (outcome instanceof Outcome.Granted) {
      return "granted";
    } else if (outcome instanceof Outcome.Approved) {
      return "approved";
    } else if (outcome instanceof Outcome.Denied) {
      return "denied";
    } else if (outcome instanceof Outcome.Expired) {
      return "expired";
    }
    return "abandoned";
  }

  /** The exchange's own {@code approval} record: which approval held it and how that ended. */
  private void recordApproval(ApprovalHold waiting, String result, Outcome outcome) {
    if (!recorder.recorded()) {
      return;
    }
    com.fasterxml.jackson.databind.node.ObjectNode fields =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    fields.put("event", "outcome");
    fields.put("approval_id", waiting.approvalId().orElse(null));
    fields.put("outcome", result);
    fields.put("joined", waiting.joined());
    if (outcome instanceof Outcome.Granted granted) {
      fields.put("grant_id", granted.grant().id());
    }
    recorder.approval(fields);
  }

  /** The caller left while held: the approval stays joinable for the grace, then is abandoned. */
  private void abandonHold() {
    ApprovalHold waiting = hold;
    hold = null;
    cancelPing();
    if (waiting == null) {
      return;
    }
    if (!waiting.isDone()) {
      recordApproval(waiting, "abandoned", null);
      waiting.approvalId().ifPresent(id -> dataPlane.approvals().abandon(id, waiting));
    } else if (!waiting.isCompletedExceptionally()) {
      // Decided a moment before the caller left: record how, as onHoldDone would have.
      Outcome outcome = waiting.getNow(null);
      recordApproval(waiting, outcomeName(outcome), outcome);
    }
  }

  private CompletableFuture<Long> recordRequest() {
    Exchange current = exchange;
    byte[] bytes = current.body().map(ByteBufUtil::getBytes).orElse(new byte[0]);
    return recorder.request(
        current.identity().orElse(null),
        current.method(),
        current.uri(),
        ProxyHeaders.auditable(current.requestHeaders()),
        bytes,
        current.summary().orElse(null),
        current.decision().orElse(null),
        current.policyVersion().orElse(null));
  }

  private void forward() {
    state = State.FORWARDING;
    dataPlane.metrics().gatewayAdded(System.nanoTime() - processingNanos);
    Exchange current = exchange;
    dataPlane
        .upstream()
        .acquire(ctx.channel().eventLoop())
        .addListener((Future<UpstreamConnection> f) -> onLeased(current, f, true));
  }

  private void onLeased(Exchange leasedFor, Future<UpstreamConnection> lease, boolean mayRetry) {
    if (exchange != leasedFor || state != State.FORWARDING) {
      if (lease.isSuccess()) {
        dataPlane.upstream().release(lease.getNow(), false);
      }
      return;
    }
    if (!lease.isSuccess()) {
      respondError(unreachable(lease.cause()), !keepAlive);
      return;
    }
    if (forwarded && headTimeLeftNanos() == 0) {
      // Sent once already, and the time for the answer ran out while a connection was found for
      // sending it again: it is not sent only to be cut off.
      dataPlane.upstream().release(lease.getNow(), false);
      respondError(headTimeoutError(), !keepAlive);
      return;
    }
    send(lease.getNow(), mayRetry && lease.getNow().reused());
  }

  private void send(UpstreamConnection connection, boolean mayRetry) {
    try {
      sendUnchecked(connection, mayRetry);
    } catch (RuntimeException e) {
      log.error("{}: cannot send the request upstream", exchange.id(), e);
      closeUpstream();
      respondError(
          GatewayError.of(
              ErrorCode.INTERNAL,
              "The gateway failed to send the request upstream; its logs name this exchange id."),
          true);
    }
  }

  private void sendUnchecked(UpstreamConnection connection, boolean mayRetry) {
    Exchange current = exchange;
    UpstreamConfig config = dataPlane.upstream().config();
    long now = System.nanoTime();
    if (!forwarded) {
      // upstream.response_timeout runs from the first send, through a send again on another
      // connection or stream.
      firstSendNanos = now;
    }
    upstream = connection;
    forwarded = true;
    forwardNanos = now;
    connection.bind(this);
    ByteBuf payload = current.body().map(ByteBuf::retainedDuplicate).orElse(Unpooled.EMPTY_BUFFER);
    HttpMethod method = HttpMethod.valueOf(current.method());
    long length = payload.isReadable() || hasBodySemantics(method) ? payload.readableBytes() : -1;
    UpstreamAuth auth = current.upstreamAuth().orElseThrow();
    HttpHeaders headers =
        ProxyHeaders.upstreamRequest(current.requestHeaders(), config.authority(), auth, length);
    if (maskingProfile(current) != null) {
      // A compressed response could not be masked: ask for the bytes as they are.
      headers.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
    }
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            method,
            config.basePath() + current.uri(),
            payload,
            headers,
            EmptyHttpHeaders.INSTANCE);
    connection
        .channel()
        .writeAndFlush(request)
        .addListener(
            (ChannelFuture written) -> {
              if (written.isSuccess() || exchange != current || upstream != connection) {
                return;
              }
              if (state != State.FORWARDING) {
                // The upstream answered early and then failed before taking the whole request:
                // the response has started, so this is a mid-response failure.
                onUpstreamFailure(written.cause());
                return;
              }
              UpstreamConnection.NotProcessed refused = connection.notProcessed();
              if (refused != null) {
                // The stream was refused while its body waited for flow control: the write
                // fails before the stream closes; the refusal decides, as it would then.
                onUpstreamFailure(refused);
                return;
              }
              // Nothing was written: the pooled connection was already closed. One retry on a
              // fresh connection is safe because the upstream cannot have seen the request.
              upstream = null;
              dataPlane.upstream().release(connection, false);
              cancelHeadTimeout();
              if (mayRetry) {
                dataPlane
                    .upstream()
                    .acquire(ctx.channel().eventLoop())
                    .addListener((Future<UpstreamConnection> f) -> onLeased(current, f, false));
              } else {
                respondError(unreachable(written.cause()), !keepAlive);
              }
            });
    connection.channel().read();
    headTimeout =
        ctx.executor()
            .schedule(() -> onHeadTimeout(current), headTimeLeftNanos(), TimeUnit.NANOSECONDS);
  }

  /** What is left of upstream.response_timeout since the exchange was first sent. */
  private long headTimeLeftNanos() {
    long timeout;
    try {
      timeout = dataPlane.upstream().config().responseTimeout().toNanos();
    } catch (ArithmeticException e) {
      timeout = Long.MAX_VALUE; // longer than anything can wait
    }
    return Math.max(0, timeout - (System.nanoTime() - firstSendNanos));
  }

  private GatewayError headTimeoutError() {
    return GatewayError.of(
        ErrorCode.UPSTREAM_TIMEOUT,
        "The upstream did not answer within "
            + Durations.format(dataPlane.upstream().config().responseTimeout())
            + " (upstream.response_timeout); retry later.");
  }

  private static boolean hasBodySemantics(HttpMethod method) {
    return method.equals(HttpMethod.POST)
        || method.equals(HttpMethod.PUT)
        || method.equals(HttpMethod.PATCH);
  }

  private void onHeadTimeout(Exchange timedOut) {
    if (exchange != timedOut || state != State.FORWARDING) {
      return;
    }
    headTimeout = null;
    closeUpstream();
    respondError(headTimeoutError(), !keepAlive);
  }

  @Override
  public void onResponseHead(HttpResponse head) {
    if (state != State.FORWARDING) {
      return;
    }
    if (head.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
      skippingInformational = true;
      return;
    }
    cancelHeadTimeout();
    dataPlane.metrics().upstreamHead(System.nanoTime() - forwardNanos);
    upstreamStatus = head.status().code();
    state = State.RESPONDING;
    status = head.status().code();
    HttpHeaders headers = ProxyHeaders.downstreamResponse(head.headers(), exchange.id());
    String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE, "");
    streaming = contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    if (head.status().codeClass() == HttpStatusClass.SUCCESS
        && headers.get(HttpHeaderNames.CONTENT_ENCODING, "identity").equalsIgnoreCase("identity")) {
      usage = UsageAccumulator.forContentType(contentType);
    }
    boolean framed =
        head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
            || HttpUtil.isTransferEncodingChunked(head);
    upstreamReusable = HttpUtil.isKeepAlive(head) && framed;
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, head.status(), headers);
    boolean bodyless = exchange.method().equals("HEAD") || status == 204 || status == 304;
    MaskingProfile masking = forCaller(maskingProfile(exchange), exchange);
    boolean maskJson = false;
    if (masking != null && !bodyless && head.status().codeClass() == HttpStatusClass.SUCCESS) {
      if (!headers.get(HttpHeaderNames.CONTENT_ENCODING, "identity").equalsIgnoreCase("identity")) {
        // Fail closed: the gateway asked for identity, and a body it cannot read is not sent.
        closeUpstream();
        respondError(
            GatewayError.of(
                ErrorCode.MASKING_FAILED,
                "The upstream sent a "
                    + headers.get(HttpHeaderNames.CONTENT_ENCODING)
                    + "-encoded response, which cannot be masked; it is withheld."),
            !keepAlive);
        return;
      }
      maskCounts = new LinkedHashMap<>();
      if (streaming) {
        sseMasker = masking.newSseMasker();
        // Masking changes the length: the stream is sent chunked.
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
      } else if (contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
        jsonMasker = masking.jsonBodyMasker();
        maskJson = true;
      } else if (isJsonLines(contentType, pathOf(exchange.uri()))) {
        // Batch results: one JSON document per line, each masked like a JSON body.
        jsonMasker = masking.jsonBodyMasker();
        jsonLines = true;
        maskJson = true;
      } else {
        // A body masking cannot read (a file download, plain text) could carry model output:
        // withheld rather than sent unmasked.
        closeUpstream();
        respondError(
            GatewayError.of(
                ErrorCode.MASKING_FAILED,
                "The upstream answered with content type '"
                    + contentType
                    + "', which masking cannot read; the response is withheld. Ask for a policy"
                    + " rule without masking for this route."),
            !keepAlive);
        return;
      }
    }
    chunkedResponse = !bodyless && !headers.contains(HttpHeaderNames.CONTENT_LENGTH);
    if (chunkedResponse) {
      HttpUtil.setTransferEncodingChunked(response, true);
    }
    if (heldStreamStarted) {
      status = 200; // what the caller got when the request was held
      if (head.status().codeClass() == HttpStatusClass.SUCCESS && streaming && !bodyless) {
        // The 200 went out when the request was held: the events follow it.
        chunkedResponse = true;
        return;
      }
      // An error answer (or not a stream): its body becomes the stream's error event.
      errorIntoStream = true;
      heldHead = response;
      heldBody = ctx.alloc().compositeBuffer(1024);
      return;
    }
    if (!keepAlive) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    String location = headers.get(HttpHeaderNames.LOCATION);
    if (location != null) {
      headers.set(HttpHeaderNames.LOCATION, urlRewriter.rewrite(location, gatewayBase()));
    }
    String encoding = headers.get(HttpHeaderNames.CONTENT_ENCODING, "identity");
    heldForRewrite =
        !bodyless
            && encoding.equalsIgnoreCase("identity")
            && UpstreamUrlRewriter.appliesTo(
                exchange.method(), pathOf(exchange.uri()), contentType);
    if (heldForRewrite || maskJson) {
      heldHead = response;
      heldBody = ctx.alloc().compositeBuffer(1024);
      return;
    }
    recordHead(response);
    if (streaming) {
      // The caller's first byte does not wait for the events read with the head to be masked.
      ctx.writeAndFlush(response);
    } else {
      ctx.write(response);
    }
  }

  private void recordHead(HttpResponse response) {
    if (recorder.recorded()) {
      recorder.responseHead(response.status().code(), ProxyHeaders.auditable(response.headers()));
    }
  }

  /** Records what is about to be written to the caller. */
  private void recordPiece(ByteBuf data) {
    if (recorder.recorded() && data.isReadable()) {
      recorder.piece(ByteBufUtil.getBytes(data));
    }
  }

  private void recordPiece(byte[] data) {
    if (recorder.recorded() && data.length > 0) {
      recorder.piece(data);
    }
  }

  /** The gateway's base URL as this caller reaches it. */
  private String gatewayBase() {
    if (dataPlane.config().publicUrl() != null) {
      return dataPlane.config().publicUrl().toString();
    }
    String host = exchange.requestHeaders().get(HttpHeaderNames.HOST);
    if (host == null || host.isBlank()) {
      host = dataPlane.config().listen().toString();
    }
    return (dataPlane.config().tls().enabled() ? "https://" : "http://") + host.trim();
  }

  /** Adds to a held response; at its end, rewrites it and sends it whole. */
  private void holdContent(HttpContent content) {
    if ((long) heldBody.readableBytes() + content.content().readableBytes() > maxBodyBytes) {
      content.release();
      if (jsonMasker != null && !heldStreamStarted) {
        heldHead = null;
        releaseHeld();
        respondError(
            GatewayError.of(
                ErrorCode.MASKING_FAILED,
                "The response is larger than http.max_body_size, the most a masked response may"
                    + " be; it is withheld."),
            !keepAlive);
        return;
      }
      onUpstreamFailure(
          new IOException(
              "the response is larger than http.max_body_size, so it cannot be "
                  + (jsonMasker != null ? "masked" : "rewritten")));
      return;
    }
    if (content.content().isReadable()) {
      heldBody.addComponent(true, content.content().retain());
    }
    boolean last = content instanceof LastHttpContent;
    content.release();
    if (!last) {
      return;
    }
    byte[] bytes = ByteBufUtil.getBytes(heldBody);
    releaseHeld();
    if (errorIntoStream) {
      heldHead = null;
      int upstreamCode = upstreamStatus;
      closeUpstream();
      endStreamWith(
          upstreamErrorEvent(bytes, upstreamCode), "error:upstream answered " + upstreamCode);
      return;
    }
    if (usage != null) {
      usage.accept(bytes);
    }
    if (heldForRewrite) {
      String rewritten =
          urlRewriter.rewrite(new String(bytes, StandardCharsets.UTF_8), gatewayBase());
      bytes = rewritten.getBytes(StandardCharsets.UTF_8);
    }
    if (jsonMasker != null) {
      try {
        if (jsonLines) {
          bytes = maskLines(bytes);
        } else {
          JsonBodyMasker.Result masked = jsonMasker.mask(bytes);
          bytes = masked.body();
          countMasked(masked.counts());
        }
      } catch (MaskingException | RuntimeException e) {
        heldHead = null;
        closeUpstream();
        respondError(maskingFailed(asMaskingFailure(e)), !keepAlive);
        return;
      }
    }
    HttpResponse head = heldHead;
    heldHead = null;
    head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
    head.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    recordHead(head);
    if (recorder.recorded()) {
      recorder.piece(bytes);
    }
    ctx.write(head);
    UpstreamConnection connection = upstream;
    upstream = null;
    dataPlane.upstream().release(connection, upstreamReusable);
    finishExchange(
        ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(bytes))), "complete");
  }

  /**
   * The upstream's error answer to a request that was held on a stream: its Anthropic-shaped error
   * body as the {@code error} event, or an {@code upstream_unavailable} error naming the status.
   */
  private byte[] upstreamErrorEvent(byte[] body, int upstreamCode) {
    try {
      com.fasterxml.jackson.databind.JsonNode json = ERROR_JSON.readTree(body);
      if (json != null && json.path("type").asText().equals("error") && json.has("error")) {
        return ("event: error\ndata: " + ERROR_JSON.writeValueAsString(json) + "\n\n")
            .getBytes(StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      // Not JSON: described below.
    }
    return GatewayError.of(
            ErrorCode.UPSTREAM_UNAVAILABLE,
            "The upstream answered " + upstreamCode + " to the approved request.")
        .toSseEvent(exchange.id());
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper ERROR_JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private void releaseHeld() {
    if (heldBody != null) {
      heldBody.release();
      heldBody = null;
    }
  }

  @Override
  public void onResponseContent(HttpContent content) {
    if (skippingInformational) {
      if (content instanceof LastHttpContent) {
        skippingInformational = false;
      }
      content.release();
      return;
    }
    if (state != State.RESPONDING) {
      content.release();
      return;
    }
    if (heldHead != null) {
      holdContent(content);
      return;
    }
    if (recorder.failed() != null) {
      // What the log cannot hold must not reach the caller: end the response here.
      content.release();
      onUpstreamFailure(new AuditFailure(recorder.failed()));
      return;
    }
    if (sseMasker != null) {
      maskContent(content);
      return;
    }
    recordPiece(content.content());
    if (usage != null) {
      usage.accept(content.content());
    }
    if (content instanceof LastHttpContent) {
      UpstreamConnection connection = upstream;
      upstream = null;
      dataPlane.upstream().release(connection, upstreamReusable);
      finishExchange(ctx.writeAndFlush(content), "complete");
    } else {
      ctx.write(content);
    }
  }

  /**
   * Passes a piece of a streamed response through the masker: what it returns (whole events, text
   * up to where a value could still be starting) is recorded and sent; the rest waits for more.
   */
  private void maskContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    byte[] out;
    try {
      if (usage != null) {
        usage.accept(content.content());
      }
      out = sseMasker.accept(content.content());
      if (last) {
        byte[] tail = sseMasker.finish();
        if (tail.length > 0) {
          byte[] both = new byte[out.length + tail.length];
          System.arraycopy(out, 0, both, 0, out.length);
          System.arraycopy(tail, 0, both, out.length, tail.length);
          out = both;
        }
      }
    } catch (MaskingException | RuntimeException e) {
      countMasked(sseMasker.counts());
      content.release();
      onUpstreamFailure(new MaskingFailure(asMaskingFailure(e)));
      return;
    }
    countMasked(sseMasker.counts());
    content.release();
    ByteBuf masked = Unpooled.wrappedBuffer(out);
    recordPiece(out); // the recorder keeps the array: nothing writes to it
    if (last) {
      UpstreamConnection connection = upstream;
      upstream = null;
      dataPlane.upstream().release(connection, upstreamReusable);
      finishExchange(ctx.writeAndFlush(new DefaultLastHttpContent(masked)), "complete");
    } else if (masked.isReadable()) {
      ctx.write(new DefaultHttpContent(masked));
    }
  }

  /** Keeps the latest counts (a stream's masker reports its running totals). */
  private void countMasked(Map<String, Long> counts) {
    if (maskCounts != null) {
      maskCounts.clear();
      maskCounts.putAll(counts);
    }
  }

  /** JSON Lines: its content types, and batch results, which the API serves as a binary type. */
  private static boolean isJsonLines(String contentType, String path) {
    String type = contentType.toLowerCase(Locale.ROOT);
    return type.startsWith("application/jsonl")
        || type.startsWith("application/x-jsonl")
        || type.startsWith("application/x-ndjson")
        || type.startsWith("application/jsonlines")
        || (path.startsWith("/v1/messages/batches/") && path.endsWith("/results"));
  }

  /** Masks each non-empty line as a JSON body; line ends are kept. */
  private byte[] maskLines(byte[] bytes) throws MaskingException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(bytes.length + 64);
    Map<String, Long> total = new LinkedHashMap<>();
    int start = 0;
    while (start < bytes.length) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      int contentEnd = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
      boolean blank = true;
      for (int i = start; i < contentEnd && blank; i++) {
        blank = bytes[i] == ' ' || bytes[i] == '\t';
      }
      if (blank) {
        out.write(bytes, start, contentEnd - start);
      } else {
        JsonBodyMasker.Result masked = jsonMasker.mask(bytes, start, contentEnd - start);
        out.writeBytes(masked.body());
        masked.counts().forEach((detector, count) -> total.merge(detector, count, Long::sum));
      }
      out.write(bytes, contentEnd, Math.min(bytes.length, end + 1) - contentEnd);
      start = end + 1;
    }
    countMasked(total);
    return out.toByteArray();
  }

  /**
   * The masker's failure; an unexpected exception from it (a bug) fails closed the same way, and is
   * logged by its class and where it was thrown (its message could quote response content).
   */
  private MaskingException asMaskingFailure(Exception e) {
    if (e instanceof MaskingException failure) {
      return failure;
    }
    StackTraceElement[] at = e.getStackTrace();
    log.error(
        "{}: the masker failed: {} at {}",
        exchange.id(),
        e.getClass().getName(),
        at.length > 0 ? at[0] : "an unknown place");
    return new MaskingException("the masker failed: " + e.getClass().getSimpleName());
  }

  private static GatewayError maskingFailed(MaskingException cause) {
    return GatewayError.of(
        ErrorCode.MASKING_FAILED,
        "The response could not be masked ("
            + cause.getMessage()
            + "), so it is withheld rather than sent unmasked.");
  }

  /** The masking profile the exchange's allow decision names, or null when nothing is masked. */
  private static MaskingProfile maskingProfile(Exchange exchange) {
    MaskingProfile profile = exchange.attr(PolicyStage.MASKING).get();
    return profile == null || profile.isEmpty() ? null : profile;
  }

  /** A pseudonym profile keyed for the exchange's caller (other profiles come back as they are). */
  private MaskingProfile forCaller(MaskingProfile profile, Exchange exchange) {
    if (profile == null || dataPlane.pseudonyms() == null || exchange.identity().isEmpty()) {
      return profile; // a pseudonym profile without a key masks
    }
    Identity caller = exchange.identity().get();
    return profile.forCaller(dataPlane.pseudonyms(), caller.issuer(), caller.subject());
  }

  @Override
  public void onReadComplete() {
    if (state != State.RESPONDING && state != State.FORWARDING) {
      return;
    }
    ctx.flush();
    if (upstream == null) {
      return;
    }
    if (ctx.channel().isWritable()) {
      upstream.channel().read();
    } else {
      pausedByCaller = true;
    }
  }

  @Override
  public boolean isPausedByCaller() {
    return pausedByCaller;
  }

  @Override
  public boolean isAwaitingHead() {
    // Until the head arrives, upstream.response_timeout governs, not idle_timeout.
    return state == State.FORWARDING;
  }

  @Override
  public void onUpstreamFailure(Throwable cause) {
    UpstreamConnection connection = upstream;
    upstream = null;
    if (connection != null) {
      dataPlane.upstream().release(connection, false);
    }
    cancelHeadTimeout();
    if (state == State.FORWARDING && cause instanceof UpstreamConnection.NotProcessed && !resent) {
      // The upstream guarantees it did not process the request (RFC 9113 section 8.7: a stream it
      // refused, or one past its GOAWAY): it goes once more, on another stream.
      resent = true;
      Exchange current = exchange;
      dataPlane
          .upstream()
          .acquire(ctx.channel().eventLoop())
          .addListener((Future<UpstreamConnection> f) -> onLeased(current, f, false));
      return;
    }
    boolean idle =
        cause instanceof IOException
            && cause.getMessage() != null
            && cause.getMessage().contains("idle_timeout");
    if (state == State.FORWARDING) {
      respondError(
          idle
              ? GatewayError.of(
                  ErrorCode.UPSTREAM_TIMEOUT,
                  "The upstream stopped sending (upstream.idle_timeout); retry later.")
              : unreachable(cause),
          !keepAlive);
      return;
    }
    if (state != State.RESPONDING) {
      return;
    }
    if (heldHead != null) {
      // Nothing of the held response reached the caller yet: answer with a plain error.
      heldHead = null;
      releaseHeld();
      respondError(unreachable(cause), !keepAlive);
      return;
    }
    if (streaming && chunkedResponse) {
      // The 200 and part of the stream are out: the failure becomes an SSE error event. The
      // caller's connection stays usable (the chunked body ends cleanly), so it is kept alive:
      // closing it would race with clients that pool it.
      GatewayError error =
          cause instanceof AuditFailure
              ? GatewayError.of(
                  ErrorCode.AUDIT_UNAVAILABLE,
                  "The audit log failed mid-stream, so the rest of the response is withheld.")
              : cause instanceof MaskingFailure failure
                  ? maskingFailed(failure.failure)
                  : GatewayError.of(
                      idle ? ErrorCode.UPSTREAM_TIMEOUT : ErrorCode.UPSTREAM_UNAVAILABLE,
                      idle
                          ? "The upstream stopped sending mid-stream (upstream.idle_timeout)."
                          : "The upstream connection failed mid-stream; the response is incomplete.");
      endStreamWith(
          error.toSseEvent(exchange.id()),
          cause instanceof MaskingFailure || cause instanceof AuditFailure
              ? "error:" + error.code().code() + ": " + cause.getMessage()
              : "error");
    } else {
      // A plain body cannot carry an error once started: closing tells the caller it is cut.
      keepAlive = false;
      ctx.flush();
      finishExchange(ctx.newSucceededFuture(), "error");
    }
  }

  private GatewayError unreachable(Throwable cause) {
    String reason = cause == null ? "unknown error" : cause.getClass().getSimpleName();
    if (cause instanceof ClosedChannelException || cause instanceof IOException) {
      reason = cause.getMessage() == null ? reason : cause.getMessage();
    }
    log.debug("upstream unreachable", cause);
    return GatewayError.of(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        "The upstream "
            + dataPlane.upstream().config().url().getHost()
            + " cannot be reached ("
            + reason
            + "); retry later.");
  }

  private void closeUpstream() {
    UpstreamConnection connection = upstream;
    upstream = null;
    if (connection != null) {
      dataPlane.upstream().release(connection, false);
    }
  }

  /**
   * Bounds how long the caller may take: waiting for the next request head (an idle keep-alive
   * connection, or a head sent byte by byte) and then for that request's body. Slow senders hold a
   * buffer and a connection each, so they are cut off (slowloris).
   */
  private void armReadTimeout() {
    cancelReadTimeout();
    long millis = dataPlane.config().http().requestReadTimeout().toMillis();
    readTimeout = ctx.executor().schedule(this::onReadTimeout, millis, TimeUnit.MILLISECONDS);
  }

  private void cancelReadTimeout() {
    if (readTimeout != null) {
      readTimeout.cancel(false);
      readTimeout = null;
    }
  }

  private void onReadTimeout() {
    readTimeout = null;
    if (state == State.IDLE) {
      state = State.CLOSING;
      releasePending();
      ctx.close();
    } else if (state == State.READING_BODY) {
      releaseBody();
      respondError(
          GatewayError.of(
              ErrorCode.REQUEST_TIMEOUT,
              "The request was not received within "
                  + Durations.format(dataPlane.config().http().requestReadTimeout())
                  + " (http.request_read_timeout)."),
          true);
    }
  }

  private void cancelHeadTimeout() {
    if (headTimeout != null) {
      headTimeout.cancel(false);
      headTimeout = null;
    }
  }

  // ---- exchange lifecycle ---------------------------------------------------------------------

  private void beginExchange(String method, String uri, HttpHeaders headers) {
    exchange =
        new Exchange(
            ExchangeId.next(dataPlane.clock()),
            dataPlane.clock().instant(),
            System.nanoTime(),
            method,
            uri,
            headers);
    dataPlane.tracker().begin();
    recorder = new ExchangeRecorder(dataPlane.audit(), exchange.id(), exchange.startNanos());
    usage = null;
    forwarded = false;
    resent = false;
    upstreamStatus = 0;
    local = null;
    status = 0;
    streaming = false;
    pausedByCaller = false;
    skippingInformational = false;
  }

  private void respondError(GatewayError error, boolean close) {
    if (close) {
      keepAlive = false;
    }
    closeUpstream();
    cancelHeadTimeout();
    if (heldStreamStarted) {
      // The 200 and the pings are out: the error is the stream's last event.
      state = State.RESPONDING;
      endStreamWith(error.toSseEvent(exchange.id()), "error:" + error.code().code());
      return;
    }
    status = error.status();
    if (exchange != null && (recorder == null || !recorder.recorded())) {
      // Refused before the policy: no request record; a sampled refusal record instead.
      refusals.record(
          exchange.id(),
          state == State.AUTHENTICATING ? "authentication" : "request",
          exchange.method(),
          pathOf(exchange.uri()),
          error);
    }
    state = State.RESPONDING;
    String id = exchange == null ? null : exchange.id();
    FullHttpResponse response = ErrorResponses.of(ctx.alloc(), error, id, !keepAlive);
    if (recorder != null && recorder.recorded()) {
      recordHead(response);
      recordPiece(response.content());
    }
    ChannelFuture written = ctx.writeAndFlush(response);
    finishExchange(written, "error:" + error.code().code());
  }

  /**
   * Ends a stream whose 200 is out with its last event (an SSE {@code error}): recorded, written,
   * and the chunked body closed cleanly, so the caller's connection stays usable.
   */
  private void endStreamWith(byte[] event, String outcome) {
    if (recorder.recorded()) {
      recorder.piece(event);
    }
    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(event)));
    finishExchange(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), outcome);
  }

  /**
   * Closes the connection after its last answer. The caller may still be sending (a body answered
   * before it was read, as a 413 is): closing with bytes unread would reset the connection, and a
   * reset can destroy the answer before the caller reads it. So the output is shut first (over TLS
   * with its close_notify) and what still comes is read and dropped until the caller closes or
   * {@link #LINGER_MILLIS} pass (RFC 9112 section 9.6).
   */
  private void closeAfterAnswer(boolean written) {
    Channel channel = ctx.channel();
    if (!written || !channel.isActive() || !(channel instanceof DuplexChannel duplex)) {
      channel.close();
      return;
    }
    lingering = true;
    SslHandler tls = channel.pipeline().get(SslHandler.class);
    ChannelFuture shut = tls != null ? tls.closeOutbound() : duplex.shutdownOutput();
    shut.addListener(
        (ChannelFuture done) -> {
          if (!done.isSuccess()) {
            channel.close(); // the caller is gone already
          }
        });
    ScheduledFuture<?> deadline =
        ctx.executor().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    channel.closeFuture().addListener(closed -> deadline.cancel(false));
    ctx.read();
  }

  private void finishExchange(ChannelFuture written, String outcome) {
    endExchange(outcome);
    if (!keepAlive) {
      state = State.CLOSING;
      cancelReadTimeout();
      written.addListener((ChannelFuture done) -> closeAfterAnswer(done.isSuccess()));
      releasePending();
      return;
    }
    state = State.IDLE;
    armReadTimeout();
    processPending();
    if (state == State.IDLE || state == State.READING_BODY) {
      ctx.read();
    }
  }

  private void endExchange(String outcome) {
    Exchange ended = exchange;
    if (ended == null) {
      return;
    }
    exchange = null;
    abandonHold();
    heldStreamStarted = false;
    errorIntoStream = false;
    Optional<Usage> used = usage == null ? Optional.empty() : usage.usage();
    settleLimits(ended, used);
    if (maskCounts != null) {
      if (recorder.recorded()) {
        recorder.masking(maskCounts);
      }
      dataPlane.metrics().masked(maskCounts);
    }
    maskCounts = null;
    jsonMasker = null;
    jsonLines = false;
    sseMasker = null;
    heldForRewrite = false;
    if (recorder.recorded()) {
      recordEnd(outcome, used.map(ExchangeHandler::usageFields).orElse(null));
    }
    countExchange(ended, outcome, used);
    closeUpstream();
    cancelHeadTimeout();
    heldHead = null;
    releaseHeld();
    ended.release();
    dataPlane.tracker().end();
    if (exchangeLog.isInfoEnabled()) {
      // One line per exchange, as key-value pairs (fields of their own in JSON logs); never a
      // token, key or body.
      long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - ended.startNanos());
      exchangeLog
          .atInfo()
          .setMessage("exchange")
          .addKeyValue("exchange_id", ended.id())
          .addKeyValue("subject", ended.identity().map(identity -> identity.subject()).orElse("-"))
          .addKeyValue("method", ended.method())
          .addKeyValue("path", pathOf(ended.uri()))
          .addKeyValue("rule", ended.decision().flatMap(Decision::rule).orElse("-"))
          .addKeyValue("status", status)
          .addKeyValue("outcome", outcome)
          .addKeyValue("duration_ms", micros / 1000.0)
          .log();
    }
  }

  /**
   * {@code complete}: the upstream's response reached the caller whole; {@code error}: the gateway
   * answered with an error, or the response failed on the way; {@code aborted}: the caller left.
   */
  private void recordEnd(String outcome, Map<String, Long> used) {
    if (outcome.equals("complete")) {
      recorder.end("complete", status, used, null);
    } else if (outcome.equals("aborted")) {
      recorder.end("aborted", status, used, "the caller closed the connection");
    } else if (outcome.startsWith("error:")) {
      recorder.end("error", status, used, outcome.substring("error:".length()));
    } else {
      recorder.end("error", status, used, "the upstream response failed");
    }
  }

  /**
   * Settles the exchange's limits reservation once (architecture step 14): to the usage the
   * upstream reported; at its worst case when a successful response ended without reporting it (the
   * tokens may have been spent) or when it was forwarded and no head came back (the caller left, a
   * timeout: the upstream may still bill it); released only when nothing can have been spent (never
   * forwarded, or the upstream refused it).
   */
  private void settleLimits(Exchange ended, Optional<Usage> used) {
    Reservation reservation = ended.attr(LimitStage.RESERVATION).getAndSet(null);
    if (reservation == null) {
      return;
    }
    boolean refused = upstreamStatus != 0 && (upstreamStatus < 200 || upstreamStatus >= 300);
    if (!forwarded || refused) {
      reservation.release();
    } else if (usage != null && usage.isComplete() && used.isPresent()) {
      reservation.settle(used.get());
    } else {
      reservation.keepWorstCase();
    }
  }

  private void countExchange(Exchange ended, String outcome, Optional<Usage> used) {
    GatewayMetrics metrics = dataPlane.metrics();
    String decision =
        ended
            .decision()
            .map(
                d ->
                    d instanceof Decision.Allow
                        ? "allow"
                        : d instanceof Decision.Deny ? "deny" : "hold")
            .orElse("none");
    metrics.exchange(
        pathOf(ended.uri()),
        decision,
        status,
        ended.summary().map(s -> s.model()).orElse(null),
        outcome.startsWith("error:") ? "error" : outcome);
    used.ifPresent(
        u -> {
          List<String> groups = ended.identity().map(i -> i.groups()).orElse(List.of());
          metrics.tokens(
              groups,
              u.inputTokens() + u.cacheCreationInputTokens() + u.cacheReadInputTokens(),
              u.outputTokens());
          metrics.cost(groups, ended.summary().map(s -> s.model()).orElse(null), u);
        });
  }

  private static Map<String, Long> usageFields(Usage usage) {
    Map<String, Long> fields = new LinkedHashMap<>();
    fields.put("input_tokens", usage.inputTokens());
    fields.put("output_tokens", usage.outputTokens());
    fields.put("cache_creation_input_tokens", usage.cacheCreationInputTokens());
    fields.put("cache_read_input_tokens", usage.cacheReadInputTokens());
    return fields;
  }

  private static String pathOf(String uri) {
    int query = uri.indexOf('?');
    return query < 0 ? uri : uri.substring(0, query);
  }

  /** The audit log failed to take part of the response: the rest is withheld from the caller. */
  /** The masker could not process an event: the stream ends with an error, unforwarded. */
  private static final class MaskingFailure extends IOException {
    final MaskingException failure;

    MaskingFailure(MaskingException failure) {
      super(failure.getMessage(), failure);
      this.failure = failure;
    }
  }

  private static final class AuditFailure extends IOException {
    AuditFailure(Throwable cause) {
      super("the audit log failed: " + cause, cause);
    }
  }

  private void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
  }

  private void releasePending() {
    Object msg;
    while ((msg = pending.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }
}
