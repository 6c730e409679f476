package dev.jitgw.server.dataplane;

import dev.jitgw.core.error.ErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;

/**
 * Turns what the HTTP decoder could not parse into a {@link Rejection}, and rejects request shapes
 * that are parseable but ambiguous between hops (request smuggling, RFC 9112 §6.3 and §11.2):
 * conflicting or repeated {@code Content-Length}, {@code Transfer-Encoding} alongside it, framing
 * on anything but HTTP/1.1, and absolute-form targets. After a rejection the rest of the
 * connection's input is dropped: the next message boundary is unknowable.
 */
final class RequestFramingGuard extends ChannelInboundHandlerAdapter {
  private boolean rejected;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (rejected) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!(msg instanceof HttpObject object)) {
      ctx.fireChannelRead(msg);
      return;
    }
    Rejection rejection = check(object);
    if (rejection == null) {
      ctx.fireChannelRead(msg);
      return;
    }
    ReferenceCountUtil.release(msg);
    rejected = true;
    ctx.fireChannelRead(rejection);
  }

  static Rejection check(HttpObject object) {
    DecoderResult result = object.decoderResult();
    if (result.isFailure()) {
      Throwable cause = result.cause();
      if (cause instanceof TooLongHttpLineException) {
        return new Rejection(ErrorCode.URI_TOO_LONG, "The request line is too long.");
      }
      if (cause instanceof TooLongHttpHeaderException) {
        return new Rejection(ErrorCode.HEADERS_TOO_LARGE, "The request headers are too large.");
      }
      if (cause instanceof TooLongFrameException) {
        return new Rejection(ErrorCode.BAD_REQUEST, "A request frame is too long.");
      }
      String what = object instanceof HttpContent ? "request body framing" : "request head";
      return new Rejection(ErrorCode.BAD_REQUEST, "Malformed HTTP " + what + ".");
    }
    if (object instanceof HttpRequest request) {
      if (!HttpVersion.HTTP_1_1.equals(request.protocolVersion())
          && !HttpVersion.HTTP_1_0.equals(request.protocolVersion())) {
        return new Rejection(ErrorCode.BAD_REQUEST, "Unsupported HTTP version.");
      }
      var headers = request.headers();
      int lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH).size();
      boolean transferEncoding = headers.contains(HttpHeaderNames.TRANSFER_ENCODING);
      if (lengths > 1) {
        return new Rejection(ErrorCode.BAD_REQUEST, "More than one Content-Length header.");
      }
      if (lengths == 1 && transferEncoding) {
        return new Rejection(
            ErrorCode.BAD_REQUEST, "Content-Length and Transfer-Encoding together are refused.");
      }
      if (headers.getAll(HttpHeaderNames.HOST).size() > 1) {
        return new Rejection(ErrorCode.BAD_REQUEST, "More than one Host header.");
      }
      String uri = request.uri();
      if (uri.isEmpty() || uri.charAt(0) != '/') {
        return new Rejection(
            ErrorCode.BAD_REQUEST, "The request target must be a path (origin-form).");
      }
    }
    return null;
  }
}
