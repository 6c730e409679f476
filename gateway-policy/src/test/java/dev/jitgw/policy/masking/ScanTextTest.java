package dev.jitgw.policy.masking;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScanTextTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ALL = (1 << ScanText.CLASSES) - 1;

  /** Chars that exercise every path: classes, digit runs, escapes, UTF-8 of 2 to 4 bytes. */
  private static final String ALPHABET = "aZAJK09 @+:=-\"\\/\n\t\u0001é日🎉";

  @Test
  void decodingIndexesAsAppendingThenIndexingDoes() throws Exception {
    Random random = new Random(7);
    for (int run = 0; run < 2_000; run++) {
      int classes = random.nextBoolean() ? ALL : random.nextInt(ALL + 1);
      ScanText decoded = new ScanText();
      ScanText appended = new ScanText();
      int pieces = 1 + random.nextInt(4);
      for (int k = 0; k < pieces; k++) {
        String piece = randomText(random, random.nextInt(40));
        boolean escapeAll = random.nextBoolean();
        byte[] json = jsonBody(piece, escapeAll);
        int end = decoded.decodeJson(json, 0, json.length, classes);
        assertThat(end).as(piece).isEqualTo(json.length);
        assertThat(decoded.decodedAscii)
            .isEqualTo(
                (!escapeAll || piece.isEmpty())
                    && piece.chars().allMatch(c -> c >= 0x20 && c < 0x80 && c != '"' && c != '\\'));
        decoded.commitDecoded();
        appended.append(piece);
        appended.index(classes);
        assertThat(decoded.toString()).isEqualTo(appended.toString());
        assertSamePositions(decoded, appended);
      }
    }
  }

  @Test
  void longTextsGrowTheArrayWhereverACharacterOutsideTheBmpFalls() throws Exception {
    // Found in review: a plain run that left one slot, then an emoji (two chars), overflowed.
    for (int plain = 250; plain < 520; plain++) {
      for (boolean escaped : new boolean[] {false, true}) {
        ScanText text = new ScanText();
        String piece = "a".repeat(plain) + "🎉" + "b";
        byte[] json = jsonBody(piece, escaped);
        assertThat(text.decodeJson(json, 0, json.length, ALL)).isEqualTo(json.length);
        text.commitDecoded();
        assertThat(text.toString()).isEqualTo(piece);
      }
    }
    Random random = new Random(5);
    for (int run = 0; run < 300; run++) {
      ScanText decoded = new ScanText();
      ScanText appended = new ScanText();
      for (int k = 0; k < 6; k++) {
        String piece = randomText(random, random.nextInt(400));
        byte[] json = jsonBody(piece, random.nextInt(4) == 0);
        assertThat(decoded.decodeJson(json, 0, json.length, ALL)).isEqualTo(json.length);
        decoded.commitDecoded();
        appended.append(piece);
        appended.index(ALL);
        assertThat(decoded.toString()).isEqualTo(appended.toString());
        assertSamePositions(decoded, appended);
      }
    }
  }

  @Test
  void aDroppedOrFailedDecodingLeavesTheTextAndPositionsAsTheyWere() throws Exception {
    Random random = new Random(11);
    for (int run = 0; run < 2_000; run++) {
      ScanText text = new ScanText();
      ScanText expected = new ScanText();
      String before = randomText(random, random.nextInt(30));
      text.append(before);
      text.index(ALL);
      expected.append(before);
      expected.index(ALL);
      byte[] json = jsonBody(randomText(random, 1 + random.nextInt(30)), false);
      if (random.nextBoolean()) {
        assertThat(text.decodeJson(json, 0, json.length, ALL)).isEqualTo(json.length);
        text.dropDecoded();
      } else {
        // Cut before the closing quote, or spoiled by a raw control char: not a JSON string.
        byte[] bad = Arrays.copyOf(json, json.length - 1);
        if (random.nextBoolean()) {
          bad[random.nextInt(bad.length)] = 0x01;
        }
        assertThat(text.decodeJson(bad, 0, bad.length, ALL)).isEqualTo(-1);
      }
      assertThat(text.toString()).isEqualTo(before);
      assertSamePositions(text, expected);
    }
  }

  @Test
  void invalidUtf8AndEscapesAreRejected() {
    ScanText text = new ScanText();
    for (String bad : new String[] {"\\x\"", "\\u12G4\"", "\\u12\"", "\\", "abc"}) {
      byte[] bytes = bad.getBytes(StandardCharsets.US_ASCII);
      assertThat(text.decodeJson(bytes, 0, bytes.length, ALL)).as(bad).isEqualTo(-1);
    }
    byte[][] utf8 = {
      {(byte) 0xC0, (byte) 0x80, '"'}, // overlong
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}, // a surrogate
      {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"'}, // above U+10FFFF
      {(byte) 0xE6, (byte) 0x97, '"'}, // cut
    };
    for (byte[] bytes : utf8) {
      assertThat(text.decodeJson(bytes, 0, bytes.length, ALL))
          .as(Arrays.toString(bytes))
          .isEqualTo(-1);
    }
    assertThat(text.length).isZero();
  }

  private static void assertSamePositions(ScanText actual, ScanText expected) {
    for (int k = 0; k < ScanText.CLASSES; k++) {
      int cls = 1 << k;
      assertThat(Arrays.copyOf(actual.positions(cls), actual.count(cls)))
          .as("class %d", cls)
          .isEqualTo(Arrays.copyOf(expected.positions(cls), expected.count(cls)));
    }
  }

  private static String randomText(Random random, int length) {
    StringBuilder s = new StringBuilder();
    int[] codePoints = ALPHABET.codePoints().toArray();
    while (s.length() < length) {
      s.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
    }
    return s.toString();
  }

  /**
   * The body of a JSON string for {@code text} and its closing quote; every char escaped or not.
   */
  private static byte[] jsonBody(String text, boolean escapeAll) throws Exception {
    String literal;
    if (escapeAll) {
      StringBuilder s = new StringBuilder();
      for (char c : text.toCharArray()) {
        s.append(String.format("\\u%04x", (int) c));
      }
      literal = s + "\"";
    } else {
      String quoted = JSON.writeValueAsString(text);
      literal = quoted.substring(1);
    }
    return literal.getBytes(StandardCharsets.UTF_8);
  }
}
