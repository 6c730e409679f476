package dev.jitgw.server.upstream;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Receives one upstream response, on the upstream channel's event loop (which is the caller's).
 * Ownership of every {@link HttpContent} passes to the listener.
 */
public interface UpstreamResponseListener {

  void onResponseHead(HttpResponse head);

  void onResponseContent(HttpContent content);

  /** The current socket read is done: flush what was written and decide whether to read on. */
  void onReadComplete();

  /** Whether reading is paused because the caller is slow (then idleness is not the upstream's). */
  boolean isPausedByCaller();

  /** Whether the response head is still awaited (the response timeout applies, not idleness). */
  default boolean isAwaitingHead() {
    return false;
  }

  /**
   * The connection failed before the response was complete: closed or reset by the upstream, timed
   * out while idle, or a response that could not be parsed.
   */
  void onUpstreamFailure(Throwable cause);
}
