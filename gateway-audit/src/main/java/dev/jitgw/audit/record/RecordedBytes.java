package dev.jitgw.audit.record;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.Base64;

/**
 * How bytes are carried in a record: as a JSON string when they are UTF-8 text that JSON does not
 * inflate much (the readable case: prompts, JSON, SSE), else as base64.
 */
final class RecordedBytes {
  static final String UTF_8_ENCODING = "utf-8";
  static final String BASE64_ENCODING = "base64";

  private RecordedBytes() {}

  static boolean isUtf8(byte[] bytes, int from, int to) {
    try {
      UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, from, to - from));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /** The length of {@code bytes} (UTF-8) as the contents of a JSON string Jackson writes. */
  static long escapedLength(byte[] bytes, int from, int to) {
    long length = 0;
    for (int i = from; i < to; i++) {
      int b = bytes[i] & 0xFF;
      if (b == '"' || b == '\\' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t') {
        length += 2;
      } else if (b < 0x20) {
        length += 6;
      } else {
        length++;
      }
    }
    return length;
  }

  /**
   * The number of bytes at the end of {@code bytes[from, to)} that begin a UTF-8 sequence the range
   * does not complete (0 to 3), so that a piece split inside a character can carry them on.
   */
  static int incompleteTail(byte[] bytes, int from, int to) {
    for (int back = 1; back <= 3 && to - back >= from; back++) {
      int b = bytes[to - back] & 0xFF;
      if ((b & 0xC0) == 0x80) {
        continue; // a continuation byte: look further back for the lead
      }
      int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      return needed > back ? back : 0;
    }
    return 0;
  }

  /** The end of the largest prefix of {@code [from, limit)} that does not cut a character. */
  static int charBoundary(byte[] bytes, int from, int limit) {
    return limit - incompleteTail(bytes, from, limit);
  }

  static String text(byte[] bytes, int from, int to) {
    return new String(bytes, from, to - from, UTF_8);
  }

  static String base64(byte[] bytes, int from, int to) {
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(bytes, from, to));
  }
}
