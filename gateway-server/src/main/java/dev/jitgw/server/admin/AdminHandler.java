package dev.jitgw.server.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.server.http.ErrorResponses;
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
import java.util.Map;

/**
 * The admin listener's routes. Today: {@code GET /healthz} (the process is alive) and {@code GET
 * /readyz} (every readiness check passes). Both need no authentication (contract section 6).
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Readiness readiness;

  AdminHandler(Readiness readiness) {
    this.readiness = requireNonNull(readiness, "readiness");
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
      default -> response = error(ctx, ErrorCode.NOT_FOUND, "Not found: " + path);
    }
    send(ctx, response, keepAlive);
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

  private static FullHttpResponse json(HttpResponseStatus status, ObjectNode body) {
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
