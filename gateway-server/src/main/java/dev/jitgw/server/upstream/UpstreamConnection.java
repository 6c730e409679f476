package dev.jitgw.server.upstream;

import io.netty.channel.Channel;

/**
 * A leased upstream connection. Give it back with {@link UpstreamClient#release} once the response
 * is complete, or close it.
 *
 * @param channel the connection
 * @param reused whether it came from the pool (it may have been closed by the upstream meanwhile)
 */
public record UpstreamConnection(Channel channel, boolean reused) {

  /**
   * The upstream closed the stream without processing its request (HTTP/2: reset with {@code
   * REFUSED_STREAM}, or past the last stream id of its {@code GOAWAY}), so sending it again is
   * safe.
   */
  public static final class NotProcessed extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    NotProcessed(String message) {
      super(message);
    }
  }

  /**
   * Why the upstream left this connection's request unprocessed, when it said so (HTTP/2 only);
   * null otherwise.
   */
  public NotProcessed notProcessed() {
    UpstreamRelayHandler relay = channel.pipeline().get(UpstreamRelayHandler.class);
    return relay == null ? null : relay.notProcessed();
  }

  /** Binds the response of the next request on this connection to {@code listener}. */
  public void bind(UpstreamResponseListener listener) {
    channel.pipeline().get(UpstreamRelayHandler.class).bind(listener);
  }
}
