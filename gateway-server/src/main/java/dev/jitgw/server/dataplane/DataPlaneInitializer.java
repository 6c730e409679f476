package dev.jitgw.server.dataplane;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.config.HttpConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.util.function.Supplier;

/**
 * The data-plane pipeline, built from small named steps (Zuul's {@code
 * BaseZuulChannelInitializer}): HTTP/1.1 codec, framing guard, exchange handler.
 */
public final class DataPlaneInitializer extends ChannelInitializer<Channel> {
  public static final String TLS = "tls";
  public static final String HTTP_DECODER = "http-decoder";
  public static final String HTTP_ENCODER = "http-encoder";
  public static final String FRAMING_GUARD = "framing-guard";
  public static final String EXCHANGE_HANDLER = "exchange";

  private final DataPlane dataPlane;

  /** One for the listener: its rate bounds every connection's refusal records together. */
  private final RefusalRecorder refusals;

  private final ChannelGroup channels;
  private final Supplier<SslContext> tls;

  /**
   * @param tls the current server TLS context, or {@code null} for plain HTTP
   */
  public DataPlaneInitializer(
      DataPlane dataPlane, ChannelGroup channels, Supplier<SslContext> tls) {
    this.dataPlane = requireNonNull(dataPlane, "dataPlane");
    this.refusals = new RefusalRecorder(dataPlane.audit());
    this.channels = requireNonNull(channels, "channels");
    this.tls = tls;
  }

  @Override
  protected void initChannel(Channel ch) {
    channels.add(ch);
    ChannelPipeline pipeline = ch.pipeline();
    addTlsHandlers(pipeline, ch);
    addHttpHandlers(pipeline, dataPlane.config().http());
    addExchangeHandlers(pipeline);
  }

  private void addTlsHandlers(ChannelPipeline pipeline, Channel ch) {
    if (tls != null) {
      SslHandler handler = tls.get().newHandler(ch.alloc());
      handler.setHandshakeTimeoutMillis(dataPlane.config().http().requestReadTimeout().toMillis());
      pipeline.addLast(TLS, handler);
    }
  }

  static void addHttpHandlers(ChannelPipeline pipeline, HttpConfig http) {
    pipeline.addLast(HTTP_DECODER, requestDecoder(http));
    pipeline.addLast(HTTP_ENCODER, new HttpResponseEncoder());
    pipeline.addLast(FRAMING_GUARD, new RequestFramingGuard());
  }

  private void addExchangeHandlers(ChannelPipeline pipeline) {
    pipeline.addLast(EXCHANGE_HANDLER, new ExchangeHandler(dataPlane, refusals));
  }

  /** The HTTP/1.1 request decoder, strict about framing and line folding. */
  static HttpRequestDecoder requestDecoder(HttpConfig http) {
    return new StrictRequestDecoder(decoderConfig(http));
  }

  static HttpDecoderConfig decoderConfig(HttpConfig http) {
    return new HttpDecoderConfig()
        .setMaxInitialLineLength(http.maxUriLength().toIntBytes())
        .setMaxHeaderSize(http.maxHeaderSize().toIntBytes())
        .setMaxChunkSize(64 * 1024)
        .setValidateHeaders(true)
        .setAllowDuplicateContentLengths(false)
        .setStrictLineParsing(true)
        .setUseRfc9112TransferEncoding(true);
  }
}
