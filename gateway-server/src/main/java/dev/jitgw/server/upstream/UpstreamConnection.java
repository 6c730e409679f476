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

  /** Binds the response of the next request on this connection to {@code listener}. */
  public void bind(UpstreamResponseListener listener) {
    channel.pipeline().get(UpstreamRelayHandler.class).bind(listener);
  }
}
