package dev.jitgw.server.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * The last handler of an upstream connection: hands the response to the exchange that leased the
 * connection. A pooled connection with no lease that receives anything is closed, since the bytes
 * cannot belong to a request.
 */
final class UpstreamRelayHandler extends ChannelInboundHandlerAdapter {
  private final boolean http2;
  private UpstreamResponseListener listener;

  /** Why the upstream left this stream unprocessed, if it said so (HTTP/2); null otherwise. */
  private UpstreamConnection.NotProcessed notProcessed;

  UpstreamRelayHandler() {
    this(false);
  }

  private UpstreamRelayHandler(boolean http2) {
    this.http2 = http2;
  }

  /**
   * The relay of an HTTP/2 stream: the frame-to-object conversion adds its own {@code x-http2-*}
   * headers to the response head, which are not the upstream's and are dropped.
   */
  static UpstreamRelayHandler forHttp2() {
    return new UpstreamRelayHandler(true);
  }

  void bind(UpstreamResponseListener listener) {
    this.listener = listener;
  }

  void unbind() {
    this.listener = null;
  }

  boolean isBound() {
    return listener != null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    UpstreamResponseListener current = listener;
    if (current == null) {
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    if (msg instanceof HttpObject object && object.decoderResult().isFailure()) {
      DecoderResult result = object.decoderResult();
      ReferenceCountUtil.release(msg);
      fail(ctx, new IOException("malformed upstream response", result.cause()));
      return;
    }
    if (http2 && msg instanceof FullHttpResponse full) {
      // A response whose HEADERS ended the stream (204, 304, an empty body) comes as one object;
      // the exchange takes a head, then its last content, as over HTTP/1.1.
      channelRead(
          ctx, new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers()));
      if (listener == current) {
        current.onResponseContent(
            new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
      } else {
        full.release();
      }
      return;
    }
    if (msg instanceof HttpResponse head) {
      if (http2) {
        for (ExtensionHeaderNames name : ExtensionHeaderNames.values()) {
          head.headers().remove(name.text());
        }
      }
      current.onResponseHead(head);
    }
    if (msg instanceof HttpContent content) {
      current.onResponseContent(content);
    } else if (!(msg instanceof HttpResponse)) {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    UpstreamResponseListener current = listener;
    if (current != null) {
      current.onReadComplete();
    }
  }

  UpstreamConnection.NotProcessed notProcessed() {
    return notProcessed;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (http2 && evt instanceof Http2ResetFrame reset) {
      if (reset.errorCode() == Http2Error.REFUSED_STREAM.code()) {
        notProcessed =
            new UpstreamConnection.NotProcessed("the upstream refused the stream (REFUSED_STREAM)");
      }
      return;
    }
    if (http2 && evt instanceof Http2GoAwayFrame goAway) {
      // Sent to the streams past the GOAWAY's last stream id only.
      notProcessed =
          new UpstreamConnection.NotProcessed(
              "the upstream is going away (GOAWAY) and did not take the stream");
      goAway.release();
      return;
    }
    if (evt instanceof IdleStateEvent) {
      UpstreamResponseListener current = listener;
      if (current != null && !current.isPausedByCaller() && !current.isAwaitingHead()) {
        fail(ctx, new UpstreamIdleException());
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    UpstreamResponseListener current = listener;
    listener = null;
    if (current != null) {
      current.onUpstreamFailure(
          notProcessed != null ? notProcessed : new IOException("upstream closed the connection"));
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(ctx, cause);
  }

  private void fail(ChannelHandlerContext ctx, Throwable cause) {
    UpstreamResponseListener current = listener;
    listener = null;
    ctx.close();
    if (current != null) {
      current.onUpstreamFailure(cause);
    }
  }

  /** No bytes from the upstream for longer than {@code upstream.idle_timeout}. */
  static final class UpstreamIdleException extends IOException {
    private static final long serialVersionUID = 1L;

    UpstreamIdleException() {
      super("upstream sent nothing within upstream.idle_timeout", null);
    }
  }
}
