package dev.jitgw.server.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jitgw.core.config.HttpConfig;
import dev.jitgw.core.error.ErrorCode;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Request smuggling and malformed framing, one row per input: the decoder and guard must turn each
 * into a {@link Rejection} (never a request the exchange handler would forward).
 */
class RequestFramingGuardTest {

  static Stream<Arguments> smuggling() {
    String big = "x".repeat(40 * 1024);
    return Stream.of(
        row(
            "CL and TE together",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "TE and CL together (reversed order)",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Length: 4\r\n\r\n0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "two different Content-Length",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                + "Content-Length: 5\r\n\r\nabcde",
            ErrorCode.BAD_REQUEST),
        row(
            "two equal Content-Length",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                + "Content-Length: 4\r\n\r\nabcd",
            ErrorCode.BAD_REQUEST),
        row(
            "Content-Length list",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 4\r\n\r\nabcd",
            ErrorCode.BAD_REQUEST),
        row(
            "non-numeric Content-Length",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "negative Content-Length",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "Content-Length with plus sign",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n\r\nabcd",
            ErrorCode.BAD_REQUEST),
        row(
            "chunked not last",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "unknown transfer coding",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "chunked twice",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
                + "0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "Transfer-Encoding on HTTP/1.0",
            "POST /v1/messages HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "bad chunk size",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "zz\r\nabc\r\n0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "space before colon",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length : 4\r\n\r\nabcd",
            ErrorCode.BAD_REQUEST),
        row(
            "bare LF line endings",
            "POST /v1/messages HTTP/1.1\nHost: a\nContent-Length: 4\n\nabcd",
            ErrorCode.BAD_REQUEST),
        row(
            "control character in header value",
            "GET /v1/models HTTP/1.1\r\nHost: a\r\nX-Bad: a\u0000b\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "obs-fold continuation line (space)",
            "GET /v1/models HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "obs-fold continuation line (tab)",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\tX: y\r\n\r\nabcd",
            ErrorCode.BAD_REQUEST),
        row(
            "obs-fold hiding a Transfer-Encoding",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n"
                + "Content-Length: 4\r\n\r\nabcd",
            ErrorCode.BAD_REQUEST),
        row(
            "whitespace before the first header",
            "GET /v1/models HTTP/1.1\r\n Host: a\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "bare CR inside a header value",
            "GET /v1/models HTTP/1.1\r\nHost: a\r\nX-Bad: a\rb\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "bare CR as a header line ending",
            "GET /v1/models HTTP/1.1\r\nHost: a\rX-Smuggled: b\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "bare LF inside the header block",
            "GET /v1/models HTTP/1.1\r\nHost: a\nX-Smuggled: b\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "bare CR in the request line",
            "GET /v1/models\rX HTTP/1.1\r\nHost: a\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "header name with a space",
            "GET /v1/models HTTP/1.1\r\nHost: a\r\nX Bad: c\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "header line without a colon",
            "GET /v1/models HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "empty Content-Length",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "Content-Length beyond a long",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "hex Content-Length",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 0x4\r\n\r\nabcd",
            ErrorCode.BAD_REQUEST),
        row(
            "chunk size overflowing an int",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "fffffffffffffffff\r\nabc\r\n0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "negative chunk size",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "-3\r\nabc\r\n0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "empty chunk size",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "\r\nabc\r\n0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "chunk longer than its size",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabcdef\r\n0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "chunk-size line ended by a bare LF",
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\nabc\r\n0\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "two Host headers",
            "GET /v1/models HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "absolute-form target",
            "GET http://evil.example/v1/models HTTP/1.1\r\nHost: a\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "HTTP/2 preface on HTTP/1 port",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            ErrorCode.BAD_REQUEST),
        row(
            "oversize headers",
            "GET /v1/models HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n",
            ErrorCode.HEADERS_TOO_LARGE),
        row(
            "oversize request line",
            "GET /v1/models?q=" + "a".repeat(9 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n",
            ErrorCode.URI_TOO_LONG));
  }

  private static Arguments row(String name, String request, ErrorCode expected) {
    return Arguments.of(name, request, expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("smuggling")
  void rejects(String name, String request, ErrorCode expected) {
    EmbeddedChannel channel = newChannel();
    channel.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
    List<Object> out = drain(channel);
    try {
      assertThat(out).as(name).isNotEmpty();
      Object last = out.get(out.size() - 1);
      assertThat(last).as(name).isInstanceOf(Rejection.class);
      assertThat(((Rejection) last).code()).as(name).isEqualTo(expected);
      // Nothing before the rejection may be a complete request that could be forwarded.
      assertThat(out.stream().filter(LastHttpContent.class::isInstance)).as(name).isEmpty();
    } finally {
      out.forEach(ReferenceCountUtil::release);
    }
    // After a rejection, further input is dropped.
    channel.writeInbound(
        Unpooled.copiedBuffer(
            "GET /v1/models HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
    assertThat(drain(channel)).isEmpty();
    assertFalse(channel.finish());
  }

  @Test
  void wellFormedRequestsPassUnchanged() {
    EmbeddedChannel channel = newChannel();
    channel.writeInbound(
        Unpooled.copiedBuffer(
            "POST /v1/messages?beta=true HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd"
                + "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nef\r\n0\r\n\r\n",
            StandardCharsets.US_ASCII));
    List<Object> out = drain(channel);
    try {
      assertThat(out).noneMatch(Rejection.class::isInstance);
      assertThat(out.stream().filter(HttpRequest.class::isInstance)).hasSize(2);
      assertThat(((HttpRequest) out.get(0)).uri()).isEqualTo("/v1/messages?beta=true");
      StringBuilder bodies = new StringBuilder();
      for (Object o : out) {
        if (o instanceof HttpContent content) {
          bodies.append(content.content().toString(StandardCharsets.US_ASCII));
        }
      }
      assertThat(bodies.toString()).isEqualTo("abcdef");
    } finally {
      out.forEach(ReferenceCountUtil::release);
    }
    assertFalse(channel.finish());
  }

  @Test
  void foldLikeBytesInBodiesAndInsideValuesPass() {
    // A pretty-printed JSON body has line feeds followed by spaces; only the head is checked.
    String json = "{\r\n  \"a\": 1,\n\t\"b\": 2\n}";
    String chunk = "\n x";
    EmbeddedChannel channel = newChannel();
    channel.writeInbound(
        Unpooled.copiedBuffer(
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nX-Spaced: one  two\tthree \r\n"
                + "Content-Length: "
                + json.length()
                + "\r\n\r\n"
                + json
                + "POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(chunk.length())
                + "\r\n"
                + chunk
                + "\r\n0\r\n\r\n"
                + "GET /v1/models HTTP/1.1\r\nHost: a\r\n\r\n",
            StandardCharsets.US_ASCII));
    List<Object> out = drain(channel);
    try {
      assertThat(out).noneMatch(Rejection.class::isInstance);
      assertThat(out.stream().filter(HttpRequest.class::isInstance)).hasSize(3);
      assertThat(((HttpRequest) out.get(0)).headers().get("x-spaced")).isEqualTo("one  two\tthree");
      StringBuilder bodies = new StringBuilder();
      for (Object o : out) {
        if (o instanceof HttpContent content) {
          bodies.append(content.content().toString(StandardCharsets.US_ASCII));
        }
      }
      assertThat(bodies.toString()).isEqualTo(json + chunk);
    } finally {
      out.forEach(ReferenceCountUtil::release);
    }
    assertFalse(channel.finish());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "GET /v1/models HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
        "GET /v1/models HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\tc\r\n\r\n",
        "GET /v1/models HTTP/1.1\nHost: a\n\tX-B: c\n\n",
        "GET /v1/models HTTP/1.1\r\nHost: a\r\n",
      })
  void foldsAreFoundWhereverTheHeadIsSplit(String head) {
    // The last case is a well-formed head; the others fold a line. Split in two at every position
    // and byte by byte, the decoder must decide as it does for the head in one piece.
    boolean folded = !head.endsWith("Host: a\r\n");
    String request = folded ? head : head + "\r\n";
    for (int split = 0; split <= request.length(); split++) {
      assertThat(decodes(request, split, request.length()))
          .as("split at %d of %s", split, request)
          .isEqualTo(!folded);
    }
    assertThat(decodes(request, 1, 1)).as("byte by byte").isEqualTo(!folded);
  }

  /**
   * Whether the request passes when written in pieces: the first {@code first} bytes, then {@code
   * size}.
   */
  private static boolean decodes(String request, int first, int size) {
    EmbeddedChannel channel = newChannel();
    byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
    List<Object> out = new ArrayList<>();
    try {
      int from = 0;
      for (int to = Math.min(first, bytes.length);
          from < bytes.length;
          to = Math.min(bytes.length, to + size)) {
        if (to > from) {
          channel.writeInbound(Unpooled.copiedBuffer(bytes, from, to - from));
          from = to;
        }
        out.addAll(drain(channel));
      }
      boolean rejected = out.stream().anyMatch(Rejection.class::isInstance);
      boolean passed = out.stream().anyMatch(HttpRequest.class::isInstance);
      return passed && !rejected;
    } finally {
      out.forEach(ReferenceCountUtil::release);
      channel.finishAndReleaseAll();
    }
  }

  private static EmbeddedChannel newChannel() {
    return new EmbeddedChannel(
        DataPlaneInitializer.requestDecoder(HttpConfig.defaults()), new RequestFramingGuard());
  }

  private static List<Object> drain(EmbeddedChannel channel) {
    List<Object> out = new ArrayList<>();
    Object msg;
    while ((msg = channel.readInbound()) != null) {
      out.add(msg);
    }
    return out;
  }
}
