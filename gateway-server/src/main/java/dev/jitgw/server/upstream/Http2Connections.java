package dev.jitgw.server.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 connections to the upstream of one event loop ({@code upstream.protocol: h2}). An
 * exchange leases a stream, opened on a connection that has room for one more (the upstream's
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS}, and no {@code GOAWAY} received), or on a new connection
 * when none has. The stream's pipeline turns frames into the HTTP/1 objects the exchange reads and
 * writes, so the exchange handles both protocols alike. A connection without streams for {@code
 * upstream.pool_idle_timeout} is closed.
 *
 * <p>Touched only from its event loop.
 */
final class Http2Connections {
  private static final Logger log = LoggerFactory.getLogger(Http2Connections.class);

  static final String FRAME_CODEC = "h2-frames";
  static final String MULTIPLEX = "h2-streams";

  /** Frames of a stream to HTTP/1 objects and back (client side; shared, it keeps no state). */
  private static final ChannelHandler STREAM_CODEC = new Http2StreamFrameToHttpObjectCodec(false);

  private final UpstreamClient client;
  private final EventLoop loop;

  /** The handlers of every stream: the codec, then the exchange's (shared, as all initializers). */
  private final ChannelInitializer<Http2StreamChannel> streamHandlers =
      new ChannelInitializer<>() {
        @Override
        protected void initChannel(Http2StreamChannel stream) {
          stream.pipeline().addLast(UpstreamClient.HTTP_CODEC, STREAM_CODEC);
          client.addExchangeHandlers(stream.pipeline(), UpstreamRelayHandler.forHttp2());
        }
      };

  private final List<Connection> connections = new ArrayList<>();

  /** The connection being set up, which acquires that found no room wait for; null for none. */
  private Future<Connection> connecting;

  /** Response header bytes a stream takes, as over HTTP/1.1 (the client codec's limit). */
  static final int MAX_RESPONSE_HEADERS = 64 * 1024;

  Http2Connections(UpstreamClient client, EventLoop loop) {
    this.client = client;
    this.loop = loop;
  }

  EventLoop loop() {
    return loop;
  }

  /** The handlers of a connection after TLS: the frame codec, then the stream multiplexer. */
  static void addConnectionHandlers(ChannelPipeline pipeline) {
    pipeline.addLast(
        FRAME_CODEC,
        Http2FrameCodecBuilder.forClient()
            .initialSettings(
                Http2Settings.defaultSettings()
                    .pushEnabled(false)
                    .maxHeaderListSize(MAX_RESPONSE_HEADERS))
            .build());
    pipeline.addLast(MULTIPLEX, new Http2MultiplexHandler(RefuseStreams.INSTANCE));
    pipeline.addLast(new ConnectionFrames());
  }

  /**
   * Leases a stream into {@code out}; must be called on the loop. {@code afterConnect}: a retry
   * once a new connection is up (the stream is then not on a reused connection).
   */
  void acquire(Promise<UpstreamConnection> out, boolean afterConnect) {
    if (out.isDone()) {
      return;
    }
    if (client.isClosed()) {
      out.tryFailure(new IOException("upstream client closed"));
      return;
    }
    Connection room = withRoom();
    if (room != null) {
      open(room, !afterConnect, out);
      return;
    }
    Future<Connection> pending = connecting;
    if (pending == null) {
      pending = connect();
      if (!pending.isDone()) {
        connecting = pending; // one that failed at once is not left for later acquires
      }
    }
    // Once connected, choose again: other waiters may have filled the new connection, and then
    // another opens. Only a new connection that can take a stream leads to another attempt, so
    // this ends.
    pending.addListener(
        (Future<Connection> connected) -> {
          if (!connected.isSuccess()) {
            out.tryFailure(connected.cause());
            return;
          }
          Connection fresh = connected.getNow();
          if (!fresh.takesNewStreams()) {
            out.tryFailure(new IOException("the upstream closed a new HTTP/2 connection at once"));
          } else if (fresh.http2.local().maxActiveStreams() == 0) {
            out.tryFailure(
                new IOException(
                    "the upstream allows no streams on a new HTTP/2 connection"
                        + " (SETTINGS_MAX_CONCURRENT_STREAMS 0)"));
          } else {
            acquire(out, true);
          }
        });
  }

  private Future<Connection> connect() {
    Promise<Connection> done = loop.newPromise();
    // The first listener: cleared before the waiters choose again, so that they do not wait on it.
    done.addListener(finished -> connecting = null);
    client
        .resolve(loop)
        .addListener(
            resolved -> {
              if (!resolved.isSuccess()) {
                done.tryFailure(resolved.cause());
                return;
              }
              client
                  .connect(loop, (InetSocketAddress) resolved.getNow())
                  .addListener(
                      (Future<Channel> connected) -> {
                        if (!connected.isSuccess()) {
                          done.tryFailure(connected.cause());
                          return;
                        }
                        connected
                            .getNow()
                            .pipeline()
                            .get(ConnectionFrames.class)
                            .settings(client.config().connectTimeout())
                            .addListener(settings -> ready(connected.getNow(), settings, done));
                      });
            });
    return done;
  }

  /**
   * A connection is leased from once the upstream's SETTINGS came: they say how many streams it
   * takes, and that it speaks HTTP/2 at all.
   */
  private void ready(Channel ch, Future<?> settings, Promise<Connection> done) {
    if (!settings.isSuccess()) {
      ch.close();
      done.tryFailure(settings.cause());
      return;
    }
    Connection connection =
        new Connection(
            ch,
            ch.pipeline().get(Http2FrameCodec.class),
            ch.pipeline().get(ConnectionFrames.class));
    try {
      // Only the streams' windows bound what the upstream may send ahead: a caller that stops
      // reading holds back its own stream, never the connection's other streams.
      connection
          .http2
          .local()
          .flowController()
          .incrementWindowSize(
              connection.http2.connectionStream(),
              Integer.MAX_VALUE - Http2CodecUtil.DEFAULT_WINDOW_SIZE);
    } catch (Http2Exception e) {
      ch.close();
      done.tryFailure(e);
      return;
    }
    connections.add(connection);
    ch.closeFuture().addListener(closed -> connections.remove(connection));
    connection.idle();
    done.trySuccess(connection);
  }

  /** An open connection that may take one more stream, or null. */
  private Connection withRoom() {
    for (Connection connection : connections) {
      if (connection.takesNewStreams()
          && connection.streams < connection.http2.local().maxActiveStreams()) {
        return connection;
      }
    }
    return null;
  }

  private void open(Connection connection, boolean reused, Promise<UpstreamConnection> out) {
    connection.opened();
    new Http2StreamChannelBootstrap(connection.channel)
        .option(ChannelOption.AUTO_READ, false)
        .handler(streamHandlers)
        .open()
        .addListener(
            (Future<Http2StreamChannel> opened) -> {
              if (!opened.isSuccess()) {
                connection.closed();
                out.tryFailure(opened.cause());
                return;
              }
              Http2StreamChannel stream = opened.getNow();
              stream.closeFuture().addListener(closed -> connection.closed());
              if (!out.trySuccess(new UpstreamConnection(stream, reused))) {
                stream.close();
              }
            });
  }

  /** Closes the connections without streams (the client is closing; the rest close after). */
  void closeIdle() {
    for (Connection connection : List.copyOf(connections)) {
      if (connection.streams == 0) {
        connection.channel.close();
      }
    }
  }

  /** One HTTP/2 connection and the streams this gateway has open on it. */
  private final class Connection {
    final Channel channel;
    final Http2Connection http2;
    final ConnectionFrames frames;
    int streams;
    ScheduledFuture<?> idleClose;

    Connection(Channel channel, Http2FrameCodec codec, ConnectionFrames frames) {
      this.channel = channel;
      this.http2 = codec.connection();
      this.frames = frames;
      frames.onGoAway = this::goneAway;
    }

    /** A GOAWAY came: a connection without streams of ours has nothing left to finish. */
    private void goneAway() {
      if (streams == 0) {
        if (idleClose != null) {
          idleClose.cancel(false);
          idleClose = null;
        }
        channel.close();
      }
    }

    /** Open, and no GOAWAY either way (a draining connection finishes its streams only). */
    boolean takesNewStreams() {
      return channel.isActive() && !frames.goAway && !http2.goAwayReceived() && !http2.goAwaySent();
    }

    void opened() {
      streams++;
      if (idleClose != null) {
        idleClose.cancel(false);
        idleClose = null;
      }
    }

    void closed() {
      if (--streams == 0) {
        if (!takesNewStreams()) {
          channel.close(); // draining, or closed already
        } else {
          idle();
        }
      }
    }

    void idle() {
      if (client.isClosed() || !takesNewStreams()) {
        channel.close(); // or gone away before it was ready
        return;
      }
      idleClose =
          loop.schedule(
              () -> {
                if (streams == 0) {
                  log.debug("closing idle upstream HTTP/2 connection {}", channel);
                  channel.close();
                }
              },
              client.config().poolIdleTimeout().toMillis(),
              TimeUnit.MILLISECONDS);
    }
  }

  /** The upstream may not open streams of its own (push is off): any it opens is closed. */
  @ChannelHandler.Sharable
  private static final class RefuseStreams extends ChannelInboundHandlerAdapter {
    static final RefuseStreams INSTANCE = new RefuseStreams();

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.close();
    }
  }

  /**
   * The last handler of a connection: notes the upstream's first SETTINGS, drops the other
   * connection frames (the codec has acted on them), and closes a connection that fails (reset,
   * protocol error), which fails its streams.
   */
  private static final class ConnectionFrames extends ChannelInboundHandlerAdapter {
    private EventExecutor executor;
    private Promise<Void> settings;

    /** A GOAWAY came: the connection takes no new streams. */
    boolean goAway;

    /** Told of a GOAWAY once the connection is ready. */
    Runnable onGoAway;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      executor = ctx.executor();
      settings = executor.newPromise();
    }

    /** Completes when the upstream's SETTINGS came; fails if they do not within {@code limit}. */
    Future<Void> settings(Duration limit) {
      ScheduledFuture<?> timeout =
          executor.schedule(
              () ->
                  settings.tryFailure(
                      new IOException(
                          "the upstream sent no HTTP/2 SETTINGS within "
                              + limit.toMillis()
                              + " ms (upstream.connect_timeout)")),
              limit.toMillis(),
              TimeUnit.MILLISECONDS);
      settings.addListener(done -> timeout.cancel(false));
      return settings;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2SettingsFrame) {
        settings.trySuccess(null);
      } else if (msg instanceof Http2GoAwayFrame) {
        goAway = true; // the upstream's, or the codec's own when stream ids run out
        if (onGoAway != null) {
          onGoAway.run();
        }
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      settings.tryFailure(
          new IOException("upstream closed the connection before its HTTP/2 SETTINGS"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("upstream HTTP/2 connection {} failed", ctx.channel(), cause);
      ctx.close();
    }
  }
}
