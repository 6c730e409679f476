package dev.jitgw.server.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpstreamRelayHandlerTest {

  /** Records what the relay hands over, releasing content as an owner must. */
  static final class Recorder implements UpstreamResponseListener {
    final List<String> events = new ArrayList<>();
    boolean paused;
    boolean awaitingHead;

    @Override
    public boolean isAwaitingHead() {
      return awaitingHead;
    }

    @Override
    public void onResponseHead(HttpResponse head) {
      events.add("head " + head.status().code());
    }

    @Override
    public void onResponseContent(HttpContent content) {
      events.add(
          (content instanceof LastHttpContent ? "last " : "content ")
              + content.content().toString(StandardCharsets.UTF_8));
      content.release();
    }

    @Override
    public void onReadComplete() {
      events.add("read-complete");
    }

    @Override
    public boolean isPausedByCaller() {
      return paused;
    }

    @Override
    public void onUpstreamFailure(Throwable cause) {
      events.add("failure " + cause.getClass().getSimpleName());
    }
  }

  @Test
  void relaysTheResponseToTheBoundListener() {
    UpstreamRelayHandler relay = new UpstreamRelayHandler();
    Recorder recorder = new Recorder();
    relay.bind(recorder);
    EmbeddedChannel channel = new EmbeddedChannel(relay);
    channel.writeInbound(
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK),
        new DefaultHttpContent(Unpooled.copiedBuffer("a", StandardCharsets.UTF_8)),
        new DefaultLastHttpContent(Unpooled.copiedBuffer("b", StandardCharsets.UTF_8)));
    assertThat(recorder.events).containsExactly("head 200", "content a", "last b", "read-complete");
    assertThat(channel.isOpen()).isTrue();
    assertFalse(channel.finish());
  }

  @Test
  void bytesOnAnIdlePooledConnectionCloseIt() {
    EmbeddedChannel channel = new EmbeddedChannel(new UpstreamRelayHandler());
    channel.writeInbound(
        new DefaultHttpContent(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
    assertThat(channel.isOpen()).isFalse();
    assertFalse(channel.finish());
  }

  @Test
  void closeBeforeTheEndIsAFailureOnce() {
    UpstreamRelayHandler relay = new UpstreamRelayHandler();
    Recorder recorder = new Recorder();
    relay.bind(recorder);
    EmbeddedChannel channel = new EmbeddedChannel(relay);
    channel.writeInbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    channel.close();
    assertThat(recorder.events).containsExactly("head 200", "read-complete", "failure IOException");
    assertFalse(channel.finish());
  }

  @Test
  void malformedResponseIsAFailureAndCloses() {
    UpstreamRelayHandler relay = new UpstreamRelayHandler();
    Recorder recorder = new Recorder();
    relay.bind(recorder);
    EmbeddedChannel channel = new EmbeddedChannel(relay);
    HttpResponse bad = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    bad.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad header")));
    channel.writeInbound(bad);
    assertThat(recorder.events).contains("failure IOException");
    assertThat(channel.isOpen()).isFalse();
    assertFalse(channel.finish());
  }

  @Test
  void idlenessBeforeTheHeadIsLeftToTheResponseTimeout() {
    UpstreamRelayHandler relay = new UpstreamRelayHandler();
    Recorder recorder = new Recorder();
    recorder.awaitingHead = true;
    relay.bind(recorder);
    EmbeddedChannel channel = new EmbeddedChannel(relay);
    channel.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
    assertThat(recorder.events).isEmpty();
    assertThat(channel.isOpen()).isTrue();
    assertFalse(channel.finish());
  }

  @Test
  void idlenessIsAFailureUnlessTheCallerPausedReading() {
    UpstreamRelayHandler relay = new UpstreamRelayHandler();
    Recorder recorder = new Recorder();
    recorder.paused = true;
    relay.bind(recorder);
    EmbeddedChannel channel = new EmbeddedChannel(relay);
    channel.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    assertThat(recorder.events).isEmpty();
    assertThat(channel.isOpen()).isTrue();

    recorder.paused = false;
    channel.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
    assertThat(recorder.events).containsExactly("failure UpstreamIdleException");
    assertThat(channel.isOpen()).isFalse();
    assertFalse(channel.finish());
  }
}
