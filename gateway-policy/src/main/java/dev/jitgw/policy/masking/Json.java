package dev.jitgw.policy.masking;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** JSON reading and writing for masking, and a small byte buffer. */
final class Json {
  private Json() {}

  /**
   * Whether a JSON string holds the char (or UTF-8 byte) {@code c} as it is: ASCII and not a
   * control char, quote or backslash.
   */
  static boolean plainInString(int c) {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  /**
   * Duplicate keys are refused: two parsers could keep different ones, and a value hidden in the
   * one masking did not read would reach the caller.
   */
  static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** Numbers keep their written precision ({@code 1.50} stays {@code 1.50}). */
  static final ObjectMapper MAPPER =
      new ObjectMapper(FACTORY)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
          .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

  /**
   * Where a parse failed, without the parser's message: Jackson quotes the offending input, which
   * may be the very value masking protects.
   */
  static String where(JsonProcessingException e) {
    JsonLocation location = e.getLocation();
    if (location == null) {
      return "";
    }
    return " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  /** A growable byte array. */
  static final class Bytes {
    private byte[] bytes;
    private int length;

    Bytes(int capacity) {
      bytes = new byte[Math.max(16, capacity)];
    }

    int length() {
      return length;
    }

    void clear() {
      length = 0;
    }

    /**
     * Empties it, and replaces a backing array larger than {@code max} bytes by one of {@code to}.
     */
    void trim(int max, int to) {
      length = 0;
      if (bytes.length > max) {
        bytes = new byte[to];
      }
    }

    private void reserve(int more) {
      if (length + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(length + more, bytes.length * 2));
      }
    }

    void write(int b) {
      reserve(1);
      bytes[length++] = (byte) b;
    }

    void write(byte[] b, int offset, int count) {
      reserve(count);
      System.arraycopy(b, offset, bytes, length, count);
      length += count;
    }

    void write(byte[] b) {
      write(b, 0, b.length);
    }

    void writeAscii(String s) {
      reserve(s.length());
      for (int i = 0; i < s.length(); i++) {
        bytes[length++] = (byte) s.charAt(i);
      }
    }

    void writeInt(int value) {
      if (value >= 0 && value < 10) {
        write('0' + value);
      } else {
        writeAscii(Integer.toString(value));
      }
    }

    private char[] scratch = new char[64];

    /** {@code s} as a JSON string literal, UTF-8, quotes included. */
    void writeJsonString(String s) {
      int n = s.length();
      if (scratch.length < n) {
        scratch = new char[Math.max(n, 2 * scratch.length)];
      }
      s.getChars(0, n, scratch, 0);
      writeJsonString(scratch, 0, n);
    }

    /** {@code s[from, to)} as a JSON string literal, UTF-8, quotes included. */
    void writeJsonString(char[] s, int from, int to) {
      write('"');
      writeJsonChars(s, from, to);
      write('"');
    }

    /** {@code s[from, to)} as the inside of a JSON string literal, UTF-8. */
    void writeJsonChars(char[] s, int from, int to) {
      reserve(6 * (to - from)); // the longest form of a char: a \\uXXXX escape
      byte[] b = bytes;
      int at = length;
      boolean[] plain = PLAIN;
      int i = from;
      while (i < to) {
        // A run of plain ASCII, the common case, in a counted loop.
        int room = to - i;
        int k = 0;
        while (k < room && s[i + k] < 0x80 && plain[s[i + k]]) {
          b[at + k] = (byte) s[i + k];
          k++;
        }
        i += k;
        at += k;
        if (i == to) {
          break;
        }
        char c = s[i++];
        if (c < 0x80) {
          at = escape(b, at, c);
        } else if (c < 0x800) {
          b[at++] = (byte) (0xC0 | (c >> 6));
          b[at++] = (byte) (0x80 | (c & 0x3F));
        } else if (Character.isHighSurrogate(c) && i < to && Character.isLowSurrogate(s[i])) {
          int cp = Character.toCodePoint(c, s[i++]);
          b[at++] = (byte) (0xF0 | (cp >> 18));
          b[at++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
          b[at++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
          b[at++] = (byte) (0x80 | (cp & 0x3F));
        } else if (Character.isSurrogate(c)) {
          at = escape(b, at, c); // half a character: escaped, so the bytes stay valid UTF-8
        } else {
          b[at++] = (byte) (0xE0 | (c >> 12));
          b[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          b[at++] = (byte) (0x80 | (c & 0x3F));
        }
      }
      length = at;
    }

    /** {@link #plainInString} of each ASCII char. */
    private static final boolean[] PLAIN = new boolean[0x80];

    static {
      for (char c = 0; c < 0x80; c++) {
        PLAIN[c] = plainInString(c);
      }
    }

    private static int escape(byte[] b, int at, char c) {
      b[at++] = '\\';
      switch (c) {
        case '"' -> b[at++] = '"';
        case '\\' -> b[at++] = '\\';
        case '\n' -> b[at++] = 'n';
        case '\r' -> b[at++] = 'r';
        case '\t' -> b[at++] = 't';
        case '\b' -> b[at++] = 'b';
        case '\f' -> b[at++] = 'f';
        default -> {
          b[at++] = 'u';
          for (int shift = 12; shift >= 0; shift -= 4) {
            b[at++] = (byte) Character.forDigit((c >> shift) & 0xF, 16);
          }
        }
      }
      return at;
    }

    /** The backing array; valid up to {@link #length()}, until the next write. */
    byte[] rawArray() {
      return bytes;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(bytes, length);
    }

    @Override
    public String toString() {
      return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }
  }
}
