package dev.jitgw.audit.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The byte-level helpers agree with the JDK's decoder and with Jackson's string writing. */
class RecordedBytesTest {
  private static final JsonFactory JSON = new JsonFactory();

  /**
   * Jackson writes a character outside the BMP as two {@code \\uXXXX} escapes unless told to
   * combine the surrogates; the recorder writes its UTF-8 bytes as they are, which is what Jackson
   * writes when told.
   */
  private static final JsonFactory COMBINING =
      JsonFactory.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();

  @Test
  void utf8CheckAgreesWithTheJdksStrictDecoder() {
    Random random = new Random(42);
    int valid = 0;
    int invalid = 0;
    for (int n = 0; n < 200_000; n++) {
      byte[] bytes = new byte[random.nextInt(9)];
      for (int i = 0; i < bytes.length; i++) {
        // Mostly the bytes where UTF-8's rules are: leads, continuations, their edges.
        int[] interesting = {
          0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5,
          0xFF, 0x9F, 0xA0, 0x8F, 0x90
        };
        bytes[i] =
            (byte)
                (random.nextInt(3) == 0
                    ? random.nextInt(256)
                    : interesting[random.nextInt(interesting.length)]);
      }
      boolean expected = jdkAccepts(bytes);
      assertThat(RecordedBytes.isUtf8(bytes, 0, bytes.length))
          .as("%s", java.util.HexFormat.of().formatHex(bytes))
          .isEqualTo(expected);
      if (expected) {
        valid++;
      } else {
        invalid++;
      }
    }
    assertThat(valid).isGreaterThan(1000);
    assertThat(invalid).isGreaterThan(1000);
  }

  @Test
  void aRangeIsCheckedAlone() {
    byte[] bytes = "a\u00e9b".getBytes(UTF_8); // 61 c3 a9 62
    assertThat(RecordedBytes.isUtf8(bytes, 0, 4)).isTrue();
    assertThat(RecordedBytes.isUtf8(bytes, 0, 2)).isFalse(); // cut after the lead byte
    assertThat(RecordedBytes.isUtf8(bytes, 2, 4)).isFalse(); // starts on a continuation
    assertThat(RecordedBytes.isUtf8(bytes, 3, 4)).isTrue();
  }

  @Test
  void textIsWrittenAsJacksonWritesTheDecodedString() throws IOException {
    String[] samples = {
      "",
      "plain ascii",
      "quotes \" and \\ backslashes / slash",
      "controls \u0000\u0001\b\t\n\f\r\u001f\u007f end",
      "caf\u00e9 \u20ac \u2028 \u2029 \ud83d\ude00 \ud800\udc00 \udbff\udfff",
      "data: {\"type\":\"text_delta\",\"text\":\"line\\nbreak\"}\n\n",
    };
    Random random = new Random(7);
    for (int n = 0; n < 2_000; n++) {
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(40); i > 0; i--) {
        int cp;
        do {
          cp =
              switch (random.nextInt(4)) {
                case 0 -> random.nextInt(0x80);
                case 1 -> random.nextInt(0x800);
                case 2 -> random.nextInt(0x10000);
                default -> random.nextInt(0x110000);
              };
        } while (cp >= 0xD800 && cp <= 0xDFFF);
        text.appendCodePoint(cp);
      }
      check(text.toString());
    }
    for (String sample : samples) {
      check(sample);
    }
  }

  @Test
  void bytesThatAreNotTextAreWrittenAsBase64() throws IOException {
    byte[] bytes = {(byte) 0xff, 0, 1, (byte) 0x80};
    assertThat(written(bytes, false)).isEqualTo("\"/wABgA==\"");
  }

  private static void check(String text) throws IOException {
    byte[] bytes = text.getBytes(UTF_8);
    assertThat(RecordedBytes.isUtf8(bytes, 0, bytes.length)).isTrue();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    try (JsonGenerator out = COMBINING.createGenerator(expected)) {
      out.writeString(text);
    }
    String written = written(bytes, true);
    assertThat(written).isEqualTo(expected.toString(UTF_8));
    assertThat(written.getBytes(UTF_8).length)
        .isEqualTo(RecordedBytes.escapedLength(bytes, 0, bytes.length) + 2);
    assertThat(JSON.createParser(written).nextTextValue()).isEqualTo(text);
  }

  private static String written(byte[] bytes, boolean text) throws IOException {
    ByteArrayOutputStream actual = new ByteArrayOutputStream();
    try (JsonGenerator out = JSON.createGenerator(actual)) {
      RecordedBytes.write(out, bytes, 0, bytes.length, text);
    }
    return actual.toString(UTF_8);
  }

  private static boolean jdkAccepts(byte[] bytes) {
    try {
      UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  @Test
  void aStringsEscapedLengthIsWhatTheRecordsGeneratorWrites() throws IOException {
    // The generator of AuditRecord: Jackson's default factory.
    JsonFactory records = new com.fasterxml.jackson.databind.ObjectMapper().getFactory();
    String alphabet = "a\"\\/\b\f\n\r\t\u0001\u001f\u007f\u0080é\u07ff\u0800日\uffff🎉";
    char[] lone = {'\ud800', '\udbff', '\udc00', '\udfff'};
    Random random = new Random(3);
    for (int n = 0; n < 20_000; n++) {
      StringBuilder s = new StringBuilder();
      int length = random.nextInt(12);
      while (s.length() < length) {
        if (random.nextInt(8) == 0) {
          s.append(lone[random.nextInt(lone.length)]);
        } else {
          int at = random.nextInt(alphabet.length());
          s.appendCodePoint(
              alphabet.codePointAt(Character.isLowSurrogate(alphabet.charAt(at)) ? at - 1 : at));
        }
      }
      String text = s.toString();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (JsonGenerator out = records.createGenerator(bytes)) {
        out.writeString(text);
      }
      assertThat(RecordedBytes.escapedLength(text)).as(text).isEqualTo(bytes.size() - 2L);
      int limit = random.nextInt(40);
      int end = RecordedBytes.prefixWithin(text, limit);
      assertThat(RecordedBytes.escapedLength(text.substring(0, end))).isLessThanOrEqualTo(limit);
      if (end < text.length()) {
        // The longest such prefix, unless one more char would cut a pair.
        boolean cutsPair =
            Character.isHighSurrogate(text.charAt(end))
                && end + 1 < text.length()
                && Character.isLowSurrogate(text.charAt(end + 1));
        if (!cutsPair) {
          assertThat(RecordedBytes.escapedLength(text.substring(0, end + 1))).isGreaterThan(limit);
        }
      }
    }
  }
}
