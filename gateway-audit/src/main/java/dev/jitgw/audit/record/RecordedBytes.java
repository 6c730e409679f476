package dev.jitgw.audit.record;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.Base64;

/**
 * How bytes are carried in a record: as a JSON string when they are UTF-8 text that JSON does not
 * inflate much (the readable case: prompts, JSON, SSE), else as base64.
 */
final class RecordedBytes {
  static final String UTF_8_ENCODING = "utf-8";
  static final String BASE64_ENCODING = "base64";

  private RecordedBytes() {}

  /**
   * Whether {@code [from, to)} is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
   * nothing above U+10FFFF), as the JDK's strict decoder decides, without decoding.
   */
  static boolean isUtf8(byte[] bytes, int from, int to) {
    int i = from;
    while (i < to) {
      int b = bytes[i];
      if (b >= 0) {
        i++;
        continue;
      }
      b &= 0xFF;
      int needed;
      int min;
      if (b >= 0xC2 && b <= 0xDF) {
        needed = 1;
        min = 0x80;
      } else if (b >= 0xE0 && b <= 0xEF) {
        needed = 2;
        min = 0x800;
      } else if (b >= 0xF0 && b <= 0xF4) {
        needed = 3;
        min = 0x10000;
      } else {
        return false;
      }
      if (to - i <= needed) {
        return false;
      }
      int cp = b & (0x3F >> needed);
      for (int k = 1; k <= needed; k++) {
        int c = bytes[i + k] & 0xFF;
        if ((c & 0xC0) != 0x80) {
          return false;
        }
        cp = (cp << 6) | (c & 0x3F);
      }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return false;
      }
      i += needed + 1;
    }
    return true;
  }

  /**
   * Writes {@code [from, to)} as a JSON string: escaped as it is (UTF-8 that {@link #isUtf8}
   * accepted) when {@code text}, else base64. The bytes are those {@code writeString} gives for the
   * decoded text, without decoding it.
   */
  static void write(JsonGenerator out, byte[] bytes, int from, int to, boolean text)
      throws IOException {
    if (text) {
      out.writeUTF8String(bytes, from, to - from);
    } else {
      out.writeString(base64(bytes, from, to));
    }
  }

  /** The bytes {@code [from, to)}, UTF-8, take in a JSON string: escaped ASCII, the rest as is. */
  static long escapedLength(byte[] bytes, int from, int to) {
    long length = 0;
    for (int i = from; i < to; i++) {
      int b = bytes[i] & 0xFF;
      length += b < 0x80 ? escapedLength((char) b) : 1;
    }
    return length;
  }

  /**
   * The bytes {@code c} takes in a JSON string as the records' generator writes it: UTF-8, with
   * quote, backslash and control chars escaped, and each surrogate as a {@code \\uXXXX} escape (the
   * generator does not combine pairs; a lone one is kept so).
   */
  static int escapedLength(char c) {
    if (c >= 0x20 && c < 0x80) {
      return c == '"' || c == '\\' ? 2 : 1;
    }
    if (c < 0x20) {
      return c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ? 2 : 6;
    }
    if (Character.isSurrogate(c)) {
      return 6;
    }
    return c < 0x800 ? 2 : 3;
  }

  /** The bytes {@code s} takes in a JSON string as the records' generator writes it, no quotes. */
  static long escapedLength(String s) {
    long length = 0;
    for (int i = 0; i < s.length(); i++) {
      length += escapedLength(s.charAt(i));
    }
    return length;
  }

  /**
   * The end of the longest prefix of {@code s} whose {@link #escapedLength(String)} is at most
   * {@code maxBytes}, not cutting a surrogate pair.
   */
  static int prefixWithin(String s, long maxBytes) {
    long length = 0;
    for (int i = 0; i < s.length(); i++) {
      length += escapedLength(s.charAt(i));
      if (length > maxBytes) {
        return i > 0
                && Character.isHighSurrogate(s.charAt(i - 1))
                && Character.isLowSurrogate(s.charAt(i))
            ? i - 1
            : i;
      }
    }
    return s.length();
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

  static String base64(byte[] bytes, int from, int to) {
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(bytes, from, to));
  }
}
