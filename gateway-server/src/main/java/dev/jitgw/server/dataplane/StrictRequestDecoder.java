package dev.jitgw.server.dataplane;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Netty's request decoder, refusing line folding in the head. Netty joins an obs-fold line (one
 * that starts with a space or tab) to the previous header value; RFC 9112 §5.2 lets a server do
 * that, but a fold is also how a header is hidden from one hop and shown to the next, so the
 * gateway rejects it with 400 as the same section allows.
 *
 * <p>The decoder consumes a head line by line and returns as soon as the head is complete (it never
 * reads body bytes in the same {@code decode} call), so the bytes a call consumes while a head is
 * open are exactly head lines: those are scanned for a line that starts with a space or tab. A head
 * found folded is handed on with a failed decoder result, which the {@link RequestFramingGuard}
 * turns into a 400 and the end of the connection.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {
  /** Between messages or inside a head, as opposed to inside a body. */
  private boolean inHead = true;

  /** Non-empty lines of the current head consumed so far (the request line is the first). */
  private int headLines;

  private boolean atLineStart = true;
  private boolean lineEmpty = true;
  private boolean folded;

  StrictRequestDecoder(HttpDecoderConfig config) {
    super(config);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out)
      throws Exception {
    int from = buffer.readerIndex();
    int produced = out.size();
    boolean scanning = inHead;
    super.decode(ctx, buffer, out);
    if (scanning) {
      scan(buffer, from, buffer.readerIndex());
    }
    for (int i = produced; i < out.size(); i++) {
      Object message = out.get(i);
      if (message instanceof HttpMessage head) {
        if (folded && head.decoderResult().isSuccess()) {
          head.setDecoderResult(
              DecoderResult.failure(
                  new IllegalArgumentException(
                      "obs-fold (a header line starting with a space or tab)")));
        }
        inHead = false;
        headLines = 0;
        folded = false;
        atLineStart = true;
        lineEmpty = true;
      }
      if (message instanceof LastHttpContent) {
        inHead = true;
      }
    }
  }

  /**
   * Looks at the first bytes of each line and jumps from line end to line end with {@link
   * ByteBuf#indexOf} (which compares eight bytes at a time): reading every head byte through {@link
   * ByteBuf#getByte} took a fifth of the event loops' time under load (docs/benchmarks.md).
   * Mid-line, the line is known not to be empty ({@link #atLineStart} only turns false on a byte
   * other than CR).
   */
  private void scan(ByteBuf buffer, int from, int to) {
    int i = from;
    while (i < to) {
      if (!atLineStart) {
        int end = buffer.indexOf(i, to, (byte) '\n');
        if (end < 0) {
          return;
        }
        headLines++;
        atLineStart = true;
        lineEmpty = true;
        i = end + 1;
        continue;
      }
      byte b = buffer.getByte(i++);
      if (b == '\n') {
        if (!lineEmpty) {
          headLines++;
        }
        lineEmpty = true;
      } else if (b != '\r') {
        if (headLines > 0 && (b == ' ' || b == '\t')) {
          folded = true;
        }
        atLineStart = false;
        lineEmpty = false;
      }
    }
  }
}
