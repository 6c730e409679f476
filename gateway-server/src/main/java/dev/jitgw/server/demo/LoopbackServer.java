package dev.jitgw.server.demo;

import static java.util.Objects.requireNonNull;

import dev.jitgw.server.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A small HTTP/1.1 server of the demo's own (development issuer, simulated upstream) on a loopback
 * address with one event loop of its own, so neither touches the gateway's listeners or threads.
 * Requests are small and aggregated; responses are written by the handler.
 */
final class LoopbackServer implements AutoCloseable {
  static final String HTTP_CODEC = "http-codec";
  static final String AGGREGATOR = "aggregator";
  static final String ROUTES = "routes";

  private final EventLoopGroup group;
  private final Channel listener;

  private LoopbackServer(EventLoopGroup group, Channel listener) {
    this.group = group;
    this.listener = listener;
  }

  /**
   * Binds {@code 127.0.0.1:port} ({@code 0}: a free port); fails when the port is taken.
   *
   * @param handler a new routes handler per connection
   */
  static LoopbackServer start(
      String name, int port, int maxRequestBytes, Supplier<ChannelHandler> handler) {
    requireNonNull(handler, "handler");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " port: " + port + " (expected: 0 to 65535)");
    }
    Transport transport = Transport.best();
    EventLoopGroup group = transport.newGroup(1, name);
    try {
      Channel listener =
          new ServerBootstrap()
              .group(group)
              .channel(transport.serverChannel())
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      ch.pipeline()
                          .addLast(HTTP_CODEC, new HttpServerCodec())
                          .addLast(AGGREGATOR, new HttpObjectAggregator(maxRequestBytes))
                          .addLast(ROUTES, handler.get());
                    }
                  })
              .bind(new InetSocketAddress("127.0.0.1", port))
              .syncUninterruptibly()
              .channel();
      return new LoopbackServer(group, listener);
    } catch (Exception e) {
      // Exception, not RuntimeException: a failed bind rethrows the native IOException unchecked.
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
      throw new IllegalStateException(
          name + ": cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
    }
  }

  int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  /** Writes a complete response, closing the connection when the request did not keep it alive. */
  static void respond(
      ChannelHandlerContext ctx,
      HttpRequest request,
      HttpResponseStatus status,
      String contentType,
      String body,
      String... headers) {
    ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    for (int i = 0; i + 1 < headers.length; i += 2) {
      response.headers().set(headers[i], headers[i + 1]);
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    HttpUtil.setKeepAlive(response, keepAlive);
    var written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
