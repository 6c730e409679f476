package dev.jitgw.server.http;

import dev.jitgw.core.error.GatewayError;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Renders {@link GatewayError}s as HTTP responses in the contract's shape. */
public final class ErrorResponses {
  private ErrorResponses() {}

  /**
   * A complete error response. Denials carry {@code x-should-retry: false}; a 401 also carries
   * {@code WWW-Authenticate} (RFC 6750 §3).
   */
  public static FullHttpResponse of(
      ByteBufAllocator alloc, GatewayError error, String exchangeId, boolean close) {
    byte[] body = error.toJson(exchangeId);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(error.status()),
            alloc.buffer(body.length).writeBytes(body));
    HttpHeaders headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    if (exchangeId != null) {
      headers.set(ProxyHeaders.EXCHANGE_ID, exchangeId);
      headers.set("request-id", exchangeId);
    }
    if (error.code().isDenial()) {
      headers.set("x-should-retry", "false");
    }
    if (error.status() == 401) {
      headers.set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
    }
    Object retryAfter = error.details().get("retry_after_seconds");
    if (retryAfter != null) {
      headers.set(HttpHeaderNames.RETRY_AFTER, String.valueOf(retryAfter));
    }
    if (close) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return response;
  }
}
