import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The "Claude API" of the side-by-side run's streams phase (issue 9), run by hand through {@code
 * bench/side-by-side.sh}: every request is answered with a 200 SSE stream ({@code message_start},
 * {@code content_block_start}) that then carries a {@code ping} event every PING seconds until the
 * caller goes away. Speaks HTTP/1.1, or HTTP/2 with prior knowledge (h2c) allowing MAX_STREAMS
 * concurrent streams per connection, as the API's edge does.
 *
 * <pre>java -cp gateway-server/target/jitgw.jar bench/HoldUpstream.java PORT PING h1|h2 [MAX_STREAMS]</pre>
 */
public class HoldUpstream {
  private static final String START =
      event(
              "message_start",
              "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01BenchHold\",\"type\":\"message\","
                  + "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],"
                  + "\"stop_reason\":null,\"stop_sequence\":null,"
                  + "\"usage\":{\"input_tokens\":412,\"output_tokens\":1}}}")
          + event(
              "content_block_start",
              "{\"type\":\"content_block_start\",\"index\":0,"
                  + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
  private static final String PING = event("ping", "{\"type\":\"ping\"}");

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    double ping = Double.parseDouble(args[1]);
    boolean h2 = args[2].equals("h2");
    long maxStreams = args.length > 3 ? Long.parseLong(args[3]) : 256;
    var group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    Channel server =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    if (!h2) {
                      exchange(ch.pipeline().addLast(new HttpServerCodec()), ping);
                      return;
                    }
                    ch.pipeline()
                        .addLast(
                            Http2FrameCodecBuilder.forServer()
                                .initialSettings(
                                    Http2Settings.defaultSettings()
                                        .maxConcurrentStreams(maxStreams))
                                .build())
                        .addLast(
                            new Http2MultiplexHandler(
                                new ChannelInitializer<Http2StreamChannel>() {
                                  @Override
                                  protected void initChannel(Http2StreamChannel stream) {
                                    exchange(
                                        stream
                                            .pipeline()
                                            .addLast(new Http2StreamFrameToHttpObjectCodec(true)),
                                        ping);
                                  }
                                }));
                  }
                })
            .bind("127.0.0.1", port)
            .sync()
            .channel();
    System.out.printf(
        "hold upstream on 127.0.0.1:%d (%s%s), a ping every %s s%n",
        port, h2 ? "h2c" : "HTTP/1.1", h2 ? ", " + maxStreams + " streams per connection" : "", ping);
    server.closeFuture().sync();
  }

  private static void exchange(ChannelPipeline pipeline, double ping) {
    pipeline
        .addLast(new HttpObjectAggregator(1 << 20))
        .addLast(
            new SimpleChannelInboundHandler<FullHttpRequest>() {
              private ScheduledFuture<?> pings;

              @Override
              protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                HttpResponse head =
                    new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                head.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
                HttpUtil.setTransferEncodingChunked(head, true);
                ctx.write(head);
                ctx.writeAndFlush(content(START));
                long every = (long) (ping * 1000);
                pings =
                    ctx.executor()
                        .scheduleAtFixedRate(
                            () ->
                                ctx.writeAndFlush(content(PING))
                                    .addListener(ChannelFutureListener.CLOSE_ON_FAILURE),
                            every,
                            every,
                            TimeUnit.MILLISECONDS);
              }

              @Override
              public void channelInactive(ChannelHandlerContext ctx) {
                if (pings != null) {
                  pings.cancel(false);
                }
              }

              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
              }
            });
  }

  private static DefaultHttpContent content(String text) {
    return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
  }

  private static String event(String name, String data) {
    return "event: " + name + "\ndata: " + data + "\n\n";
  }
}
