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
 * loop, so the response is relayed without crossing threads.
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
              connect(loop, (InetSocketAddress) resolved.getNow(), promise);
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
    if (!reusable || closed || !channel.isActive()) {
      channel.close();
      return;
    }
    Pool pool = pools.computeIfAbsent(channel.eventLoop(), Pool::new);
    pool.offer(channel);
  }

  private void connect(EventLoop loop, InetSocketAddress remote, Promise<UpstreamConnection> out) {
    Bootstrap bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(transport.clientChannel())
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    addHandlers(ch.pipeline(), ch);
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
          Pool pool = pools.computeIfAbsent(loop, Pool::new);
          ch.closeFuture().addListener(closed -> pool.remove(ch));
          SslHandler ssl = ch.pipeline().get(SslHandler.class);
          if (ssl == null) {
            out.trySuccess(new UpstreamConnection(ch, false));
            return;
          }
          // Lease only after the handshake: a certificate that fails verification is an
          // unreachable upstream (502), never a request sent over an unverified channel.
          ssl.handshakeFuture()
              .addListener(
                  hs -> {
                    if (hs.isSuccess()) {
                      out.trySuccess(new UpstreamConnection(ch, false));
                    } else {
                      ch.close();
                      out.tryFailure(hs.cause());
                    }
                  });
        });
  }

  private void addHandlers(ChannelPipeline pipeline, Channel ch) {
    if (sslContext != null) {
      SslHandler ssl = sslContext.newHandler(ch.alloc(), config.url().getHost(), config.port());
      ssl.setHandshakeTimeoutMillis(config.connectTimeout().toMillis());
      pipeline.addLast(SSL_HANDLER, ssl);
    }
    pipeline.addLast(HTTP_CODEC, new HttpClientCodec(8192, 64 * 1024, 64 * 1024));
    pipeline.addLast(
        IDLE_HANDLER,
        new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
    pipeline.addLast(RELAY_HANDLER, new UpstreamRelayHandler());
  }

  /** Resolves the upstream host off the event loop, caching the answer for 30 seconds. */
  private Future<InetSocketAddress> resolve(EventLoop loop) {
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
  }

  private static SslContext newSslContext(UpstreamConfig config) {
    try {
      SslContextBuilder builder =
          SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
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
