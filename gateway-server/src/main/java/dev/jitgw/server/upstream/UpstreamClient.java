package dev.jitgw.server.upstream;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.config.UpstreamConfig;
import dev.jitgw.server.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keep-alive HTTP/1.1 connections to the upstream, pooled per event loop (Zuul's {@code
 * PerServerConnectionPool}): an exchange leases a connection bootstrapped on its caller's own event
 * loop, so the response is relayed without crossing threads. With {@code upstream.protocol: h2} an
 * exchange leases an HTTP/2 stream instead, opened on one of its event loop's HTTP/2 connections
 * ({@link Http2Connections}); either way the exchange reads and writes HTTP/1 objects.
 *
 * <p>https upstreams get TLS with SNI and hostname verification against the JDK trust store (or the
 * configured CA file); there is no way to turn verification off. Host names are resolved on a
 * blocking executor, never on an event loop.
 */
public final class UpstreamClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UpstreamClient.class);
  private static final AttributeKey<ScheduledFuture<?>> IDLE_CLOSE =
      AttributeKey.valueOf("jitgw.upstream.idle-close");

  public static final String SSL_HANDLER = "tls";
  public static final String HTTP_CODEC = "http-codec";
  public static final String IDLE_HANDLER = "idle";
  public static final String RELAY_HANDLER = "relay";

  private final UpstreamConfig config;
  private final Transport transport;
  private final SslContext sslContext;
  private final Executor resolverExecutor;
  private final Map<EventLoop, Pool> pools = new ConcurrentHashMap<>();
  private final Map<EventLoop, Http2Connections> http2 = new ConcurrentHashMap<>();
  private volatile CachedAddress address;
  private volatile boolean closed;

  public UpstreamClient(UpstreamConfig config, Transport transport, Executor resolverExecutor) {
    this.config = requireNonNull(config, "config");
    this.transport = requireNonNull(transport, "transport");
    this.resolverExecutor = requireNonNull(resolverExecutor, "resolverExecutor");
    this.sslContext = config.isTls() ? newSslContext(config) : null;
  }

  public UpstreamConfig config() {
    return config;
  }

  /**
   * Leases a connection on {@code loop}, reusing an idle one when the pool has it. Must be called
   * on {@code loop}; the future completes there.
   */
  public Future<UpstreamConnection> acquire(EventLoop loop) {
    assert loop.inEventLoop();
    Promise<UpstreamConnection> promise = loop.newPromise();
    if (closed) {
      return promise.setFailure(new IOException("upstream client closed"));
    }
    if (config.isHttp2()) {
      http2.computeIfAbsent(loop, l -> new Http2Connections(this, l)).acquire(promise, false);
      return promise;
    }
    Pool pool = pools.computeIfAbsent(loop, Pool::new);
    Channel idle = pool.pollActive();
    if (idle != null) {
      return promise.setSuccess(new UpstreamConnection(idle, true));
    }
    resolve(loop)
        .addListener(
            resolved -> {
              if (!resolved.isSuccess()) {
                promise.tryFailure(resolved.cause());
                return;
              }
              connect(loop, (InetSocketAddress) resolved.getNow())
                  .addListener(
                      (Future<Channel> connected) -> {
                        if (!connected.isSuccess()) {
                          promise.tryFailure(connected.cause());
                          return;
                        }
                        Channel ch = connected.getNow();
                        ch.closeFuture().addListener(closed -> pool.remove(ch));
                        if (!promise.trySuccess(new UpstreamConnection(ch, false))) {
                          ch.close();
                        }
                      });
            });
    return promise;
  }

  /**
   * Returns a connection after a complete response. A connection that is not {@code reusable} (the
   * response said close, or the exchange ended early) is closed instead.
   */
  public void release(UpstreamConnection connection, boolean reusable) {
    Channel channel = connection.channel();
    channel.pipeline().get(UpstreamRelayHandler.class).unbind();
    if (channel instanceof Http2StreamChannel) {
      channel.close(); // a stream serves one exchange; closing one still open resets it
      return;
    }
    if (!reusable || closed || !channel.isActive()) {
      channel.close();
      return;
    }
    Pool pool = pools.computeIfAbsent(channel.eventLoop(), Pool::new);
    pool.offer(channel);
  }

  /**
   * Connects a new channel on {@code loop} with the handlers of {@code upstream.protocol}. The
   * future completes on {@code loop} once the channel may carry a request: after the TLS handshake
   * (and, for HTTP/2, its agreement by ALPN) for an https upstream, at once otherwise.
   */
  Future<Channel> connect(EventLoop loop, InetSocketAddress remote) {
    Promise<Channel> out = loop.newPromise();
    boolean h2 = config.isHttp2();
    Bootstrap bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(transport.clientChannel())
            // An HTTP/1.1 connection reads only when its exchange asks; an HTTP/2 connection
            // always reads, and each stream's flow control holds back a slow exchange's data.
            .option(ChannelOption.AUTO_READ, h2)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    if (sslContext != null) {
                      SslHandler ssl =
                          sslContext.newHandler(ch.alloc(), config.url().getHost(), config.port());
                      ssl.setHandshakeTimeoutMillis(config.connectTimeout().toMillis());
                      ch.pipeline().addLast(SSL_HANDLER, ssl);
                    }
                  }
                });
    ChannelFuture connect = bootstrap.connect(remote);
    connect.addListener(
        (ChannelFuture f) -> {
          if (!f.isSuccess()) {
            out.tryFailure(f.cause());
            return;
          }
          Channel ch = f.channel();
          SslHandler ssl = ch.pipeline().get(SslHandler.class);
          if (ssl == null) {
            addProtocolHandlers(ch.pipeline());
            out.trySuccess(ch);
            return;
          }
          // Lease only after the handshake: a certificate that fails verification is an
          // unreachable upstream (502), never a request sent over an unverified channel.
          ssl.handshakeFuture()
              .addListener(
                  hs -> {
                    if (!hs.isSuccess()) {
                      ch.close();
                      out.tryFailure(hs.cause());
                    } else if (h2
                        && !ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
                      ch.close();
                      out.tryFailure(
                          new IOException(
                              "upstream "
                                  + config.url()
                                  + " did not agree to HTTP/2 in the TLS handshake (ALPN);"
                                  + " upstream.protocol: http/1.1 speaks HTTP/1.1 to it"));
                    } else {
                      // Only now: nothing of the protocol (HTTP/2's preface) goes to an upstream
                      // that has not been verified, or that did not agree to the protocol.
                      addProtocolHandlers(ch.pipeline());
                      out.trySuccess(ch);
                    }
                  });
        });
    return out;
  }

  /** The handlers of {@code upstream.protocol}, after TLS. */
  private void addProtocolHandlers(ChannelPipeline pipeline) {
    if (config.isHttp2()) {
      Http2Connections.addConnectionHandlers(pipeline);
      return;
    }
    pipeline.addLast(HTTP_CODEC, new HttpClientCodec(8192, 64 * 1024, 64 * 1024));
    addExchangeHandlers(pipeline, new UpstreamRelayHandler());
  }

  /** The handlers after the codec: the idle timeout, then the exchange's relay. */
  void addExchangeHandlers(ChannelPipeline pipeline, UpstreamRelayHandler relay) {
    pipeline.addLast(
        IDLE_HANDLER,
        new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
    pipeline.addLast(RELAY_HANDLER, relay);
  }

  /** Resolves the upstream host off the event loop, caching the answer for 30 seconds. */
  Future<InetSocketAddress> resolve(EventLoop loop) {
    CachedAddress cached = address;
    if (cached != null && cached.expiresAtNanos - System.nanoTime() > 0) {
      return loop.newSucceededFuture(cached.address);
    }
    Promise<InetSocketAddress> promise = loop.newPromise();
    String host = config.url().getHost();
    resolverExecutor.execute(
        () -> {
          try {
            InetAddress resolved = InetAddress.getByName(host);
            InetSocketAddress socketAddress = new InetSocketAddress(resolved, config.port());
            address =
                new CachedAddress(socketAddress, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            promise.trySuccess(socketAddress);
          } catch (IOException | RuntimeException e) {
            promise.tryFailure(e);
          }
        });
    return promise;
  }

  @Override
  public void close() {
    closed = true;
    for (Pool pool : pools.values()) {
      pool.loop.execute(pool::closeAll);
    }
    for (Http2Connections connections : http2.values()) {
      connections.loop().execute(connections::closeIdle);
    }
  }

  boolean isClosed() {
    return closed;
  }

  private static SslContext newSslContext(UpstreamConfig config) {
    try {
      SslContextBuilder builder =
          SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
      if (config.isHttp2()) {
        builder.applicationProtocolConfig(
            new ApplicationProtocolConfig(
                ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                ApplicationProtocolNames.HTTP_2));
      }
      if (config.caFile() != null) {
        builder.trustManager(config.caFile().toFile());
      }
      return builder.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new UncheckedIOException(
          new IOException("cannot set up TLS for upstream " + config.url() + ": " + e, e));
    }
  }

  private record CachedAddress(InetSocketAddress address, long expiresAtNanos) {}

  /** Idle connections of one event loop; touched only from that loop. */
  private final class Pool {
    private final EventLoop loop;
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();

    Pool(EventLoop loop) {
      this.loop = loop;
    }

    Channel pollActive() {
      Channel ch;
      while ((ch = idle.pollLast()) != null) {
        ScheduledFuture<?> timer = ch.attr(IDLE_CLOSE).getAndSet(null);
        if (timer != null) {
          timer.cancel(false);
        }
        if (ch.isActive()) {
          return ch;
        }
      }
      return null;
    }

    void offer(Channel ch) {
      idle.addLast(ch);
      ch.attr(IDLE_CLOSE)
          .set(
              loop.schedule(
                  () -> {
                    idle.remove(ch);
                    ch.close();
                  },
                  config.poolIdleTimeout().toMillis(),
                  TimeUnit.MILLISECONDS));
      // Watch the idle connection: a close or stray bytes from the upstream must be noticed.
      ch.read();
    }

    void remove(Channel ch) {
      idle.remove(ch);
    }

    void closeAll() {
      Channel ch;
      while ((ch = idle.poll()) != null) {
        ch.close();
      }
      log.debug("closed idle upstream connections of {}", loop);
    }
  }
}
