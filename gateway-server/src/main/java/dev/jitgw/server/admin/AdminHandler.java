package dev.jitgw.server.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.token.RevocationList;
import dev.jitgw.server.PolicyHolder;
import dev.jitgw.server.http.ErrorResponses;
import dev.jitgw.server.metrics.GatewayMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The admin listener's routes. Today: {@code GET /healthz} (the process is alive) and {@code GET
 * /readyz} (every readiness check passes). Both need no authentication (contract section 6).
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Readiness readiness;
  private final AdminAuthorizer authorizer;
  private final RevocationList revocations;
  private final PolicyHolder policy;
  private final Executor blocking;
  private final AuditRoutes audit;
  private final GatewayMetrics metrics;
  private final ApprovalRoutes approvals;
  private final DataDirectoryBackup backup;
  private final UiRoutes ui;
  private final PolicyRoutes policyRoutes;

  AdminHandler(Readiness readiness) {
    this(readiness, null, null, null, null, null, null, null, null);
  }

  AdminHandler(
      Readiness readiness,
      AdminAuthorizer authorizer,
      RevocationList revocations,
      PolicyHolder policy,
      Executor blocking,
      dev.jitgw.audit.store.AuditLog auditLog,
      GatewayMetrics metrics,
      dev.jitgw.policy.approval.ApprovalService approvals,
      DataDirectoryBackup backup) {
    this.readiness = requireNonNull(readiness, "readiness");
    this.authorizer = authorizer;
    this.revocations = revocations;
    this.policy = policy;
    this.blocking = blocking;
    this.audit = auditLog == null ? null : new AuditRoutes(auditLog);
    this.ui = new UiRoutes(policy == null ? List.of() : policy.config().identity().issuers());
    this.metrics = metrics;
    this.backup = backup;
    this.approvals =
        approvals == null || authorizer == null
            ? null
            : new ApprovalRoutes(approvals, authorizer.adminGroups(), blocking);
    this.policyRoutes =
        policy == null || blocking == null
            ? null
            : new PolicyRoutes(policy, blocking, java.time.Clock.systemUTC());
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (request.decoderResult().isFailure()) {
      send(ctx, error(ctx, ErrorCode.BAD_REQUEST, "Malformed HTTP request."), false);
      return;
    }
    String path = new QueryStringDecoder(request.uri()).path();
    boolean get =
        request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
    FullHttpResponse response;
    switch (path) {
      case "/healthz" ->
          response = get ? json(HttpResponseStatus.OK, status("ok")) : notAllowed(ctx);
      case "/readyz" -> response = get ? ready() : notAllowed(ctx);
      // Every route here is listed in AdminRoutes and described in openapi/admin.json.
      case "/api/openapi.json" -> response = get ? OpenApiDocument.response() : notAllowed(ctx);
      case "/metrics" ->
          response = get && metrics != null ? prometheus(metrics.scrape()) : notAllowed(ctx);
      case "/api/tokens/revoke" -> {
        if (!request.method().equals(HttpMethod.POST) || authorizer == null) {
          response = notAllowed(ctx);
        } else {
          String body = request.content().toString(java.nio.charset.StandardCharsets.UTF_8);
          asAdmin(
              ctx,
              request,
              keepAlive,
              admin ->
                  CompletableFuture.completedFuture(applyRevocation(ctx, body, admin.subject())));
          return;
        }
      }
      case "/api/policy", "/api/policy/check" -> {
        if (policyRoutes == null || authorizer == null) {
          response = notAllowed(ctx);
        } else {
          routePolicy(ctx, request, path, keepAlive);
          return;
        }
      }
      case "/api/backup" -> {
        if (!request.method().equals(HttpMethod.POST) || authorizer == null || backup == null) {
          response = notAllowed(ctx);
        } else {
          asAdmin(ctx, request, keepAlive, admin -> blocking(() -> backedUp(admin)));
          return;
        }
      }
      case "/api/policy/reload" -> {
        if (!request.method().equals(HttpMethod.POST) || authorizer == null || policy == null) {
          response = notAllowed(ctx);
        } else {
          asAdmin(
              ctx,
              request,
              keepAlive,
              admin ->
                  CompletableFuture.supplyAsync(
                      () -> {
                        try {
                          policy.reload();
                          return describePolicy();
                        } catch (ConfigException e) {
                          return ErrorResponses.of(
                              ctx.alloc(),
                              GatewayError.of(ErrorCode.BAD_REQUEST, e.getMessage()),
                              null,
                              false);
                        }
                      },
                      blocking));
          return;
        }
      }
      default -> {
        if (UiRoutes.owns(path)) {
          send(ctx, ui.answer(ctx.alloc(), request, path), keepAlive);
          return;
        }
        if (approvals != null
            && (path.startsWith("/api/approvals") || path.startsWith("/api/grants"))
            && routeApprovals(ctx, request, path, keepAlive)) {
          return;
        }
        if (audit != null
            && path.startsWith("/api/")
            && routeAudit(ctx, request, path, keepAlive)) {
          return;
        }
        response = error(ctx, ErrorCode.NOT_FOUND, "Not found: " + path);
      }
    }
    send(ctx, response, keepAlive);
  }

  /**
   * {@code POST /api/tokens/revoke} {@code {"jti": "...", "until": "2026-11-29T12:00:00Z"}}: a
   * gateway-issued token stops working at once ({@code until} defaults to an hour from now, the
   * longest a gateway token lives).
   */
  /** {@code GET /api/policy}, {@code POST /api/policy} and {@code POST /api/policy/check}. */
  private void routePolicy(
      ChannelHandlerContext ctx, FullHttpRequest request, String path, boolean keepAlive) {
    HttpMethod method = request.method();
    boolean get = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
    String body = request.content().toString(java.nio.charset.StandardCharsets.UTF_8);
    Function<Identity, CompletableFuture<FullHttpResponse>> action;
    if (path.equals("/api/policy") && get) {
      action = admin -> policyRoutes.current();
    } else if (path.equals("/api/policy") && method.equals(HttpMethod.POST)) {
      action = admin -> policyRoutes.save(ctx.alloc(), body, admin);
    } else if (path.equals("/api/policy/check") && method.equals(HttpMethod.POST)) {
      action = admin -> policyRoutes.check(ctx.alloc(), body);
    } else {
      send(ctx, notAllowed(ctx), keepAlive);
      return;
    }
    asAdmin(ctx, request, keepAlive, action);
  }

  /** The audit log's routes, admin only; false when {@code path} is none of them. */
  private boolean routeAudit(
      ChannelHandlerContext ctx, FullHttpRequest request, String path, boolean keepAlive) {
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    boolean get =
        request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
    Function<Identity, CompletableFuture<FullHttpResponse>> action;
    if (path.equals("/api/exchanges")) {
      action = admin -> blocking(() -> json(HttpResponseStatus.OK, audit.exchanges(query)));
    } else if (path.startsWith("/api/exchanges/")) {
      String id = path.substring("/api/exchanges/".length());
      action =
          admin ->
              blocking(
                  () ->
                      audit
                          .exchange(id)
                          .map(found -> json(HttpResponseStatus.OK, found))
                          .orElseGet(
                              () -> error(ctx, ErrorCode.NOT_FOUND, "No exchange " + id + ".")));
    } else if (path.equals("/api/audit/checkpoint")) {
      action = admin -> blocking(() -> audit.checkpoint(query));
    } else if (path.equals("/api/audit/export")) {
      action =
          admin ->
              blocking(
                  () -> {
                    audit.export(ctx, query, keepAlive);
                    return null; // streamed
                  });
    } else {
      return false;
    }
    boolean streamed = path.equals("/api/audit/export");
    if (!get || (streamed && request.method().equals(HttpMethod.HEAD))) {
      send(ctx, notAllowed(ctx), keepAlive);
      return true;
    }
    asAdmin(ctx, request, keepAlive, action);
    return true;
  }

  /** The approval and grant routes; false when {@code path} is none of them. */
  private boolean routeApprovals(
      ChannelHandlerContext ctx, FullHttpRequest request, String path, boolean keepAlive) {
    Optional<ApprovalRoutes.Route> route;
    try {
      route = approvals.route(request, path);
    } catch (GatewayException e) {
      // A bad request to these routes is answered only to a verified caller: 401 comes first.
      answer(
          ctx,
          authorizer
              .verify(request.headers())
              .<FullHttpResponse>thenApply(
                  identity -> {
                    throw e;
                  }),
          keepAlive);
      return true;
    }
    if (route.isEmpty()) {
      return false;
    }
    ApprovalRoutes.Route found = route.get();
    Function<Identity, CompletableFuture<FullHttpResponse>> action =
        identity ->
            found.action().apply(identity).thenApply(body -> json(HttpResponseStatus.OK, body));
    if (found.adminOnly()) {
      asAdmin(ctx, request, keepAlive, action);
    } else {
      answer(ctx, authorizer.verify(request.headers()).thenCompose(action), keepAlive);
    }
    return true;
  }

  private interface Read {
    FullHttpResponse get() throws java.io.IOException;
  }

  private CompletableFuture<FullHttpResponse> blocking(Read read) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return read.get();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        },
        blocking);
  }

  /** Runs {@code action} for a verified admin, answering 401/403 otherwise. */
  private void asAdmin(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      boolean keepAlive,
      Function<Identity, CompletableFuture<FullHttpResponse>> action) {
    answer(ctx, authorizer.authorize(request.headers()).thenCompose(action), keepAlive);
  }

  /** Sends what {@code answer} completes with, or the error it fails with, on the event loop. */
  private void answer(
      ChannelHandlerContext ctx,
      java.util.concurrent.CompletionStage<FullHttpResponse> answer,
      boolean keepAlive) {
    answer.whenComplete(
        (response, failure) ->
            ctx.executor()
                .execute(
                    () -> {
                      if (failure == null) {
                        if (response != null) { // null: the action streamed its answer
                          send(ctx, response, keepAlive);
                        }
                        return;
                      }
                      Throwable cause = ApprovalRoutes.unwrap(failure);
                      GatewayError error =
                          cause instanceof GatewayException gatewayException
                              ? gatewayException.error()
                              : GatewayError.of(ErrorCode.INTERNAL, "The admin request failed.");
                      send(ctx, ErrorResponses.of(ctx.alloc(), error, null, false), keepAlive);
                    }));
  }

  /** {@code POST /api/backup}: a backup of the data directory, taken while the gateway runs. */
  private FullHttpResponse backedUp(Identity admin) throws java.io.IOException {
    DataDirectoryBackup.Result result = backup.backup();
    org.slf4j.LoggerFactory.getLogger(AdminHandler.class)
        .info("data directory backed up to {} by {}", result.directory(), admin.subject());
    ObjectNode out = JSON.createObjectNode();
    out.put("directory", result.directory().toString());
    out.put("created_at", result.createdAt().toString());
    out.put("audit_records", result.auditRecords());
    var files = out.putArray("files");
    result.files().forEach(files::add);
    return json(HttpResponseStatus.OK, out);
  }

  /** {@code GET /api/policy}: the rules in force and their version. */
  private FullHttpResponse describePolicy() {
    return json(HttpResponseStatus.OK, PolicyRoutes.describe(policy.get()));
  }

  private FullHttpResponse applyRevocation(ChannelHandlerContext ctx, String body, String admin) {
    try {
      JsonNode json = JSON.readTree(body);
      String jti = json == null ? "" : json.path("jti").asText("");
      if (jti.isBlank()) {
        return error(ctx, ErrorCode.BAD_REQUEST, "Body must be {\"jti\": \"...\"}.");
      }
      Instant until =
          json.hasNonNull("until")
              ? Instant.parse(json.path("until").asText())
              : Instant.now().plus(Duration.ofHours(1));
      revocations.revoke(jti, until);
      org.slf4j.LoggerFactory.getLogger(AdminHandler.class)
          .info("token jti={} revoked until {} by {}", jti, until, admin);
      ObjectNode out = JSON.createObjectNode();
      out.put("revoked", jti);
      out.put("until", until.toString());
      return json(HttpResponseStatus.OK, out);
    } catch (java.io.IOException | java.time.format.DateTimeParseException e) {
      return error(
          ctx, ErrorCode.BAD_REQUEST, "Body must be {\"jti\": \"...\", \"until\"?: ISO-8601}.");
    }
  }

  /** {@code GET /metrics}: the Prometheus text format, version 0.0.4. */
  private static FullHttpResponse prometheus(String text) {
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes));
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    return response;
  }

  private FullHttpResponse ready() {
    Map<String, Boolean> checks = readiness.evaluate();
    boolean ready = checks.values().stream().allMatch(Boolean::booleanValue);
    ObjectNode body = status(ready ? "ready" : "not_ready");
    ObjectNode checkNode = body.putObject("checks");
    checks.forEach(checkNode::put);
    return json(ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
  }

  private static ObjectNode status(String status) {
    ObjectNode node = JSON.createObjectNode();
    node.put("status", status);
    return node;
  }

  private static FullHttpResponse json(HttpResponseStatus status, JsonNode body) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    return response;
  }

  private static FullHttpResponse notAllowed(ChannelHandlerContext ctx) {
    return error(ctx, ErrorCode.NOT_FOUND, "Method not allowed on this route.");
  }

  private static FullHttpResponse error(ChannelHandlerContext ctx, ErrorCode code, String message) {
    return ErrorResponses.of(ctx.alloc(), GatewayError.of(code, message), null, false);
  }

  private static void send(
      ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
    HttpUtil.setKeepAlive(response, keepAlive);
    var future = ctx.writeAndFlush(response);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
