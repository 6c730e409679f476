package dev.jitgw.policy.masking;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Randomized checks of the streaming fast path (from an independent review): text decoded straight
 * into a stream ({@link TextStream#decodeJson}) masks as pushed text and whole text do, with any
 * detectors, splits, escapes, and failed or dropped decodings between; {@link ScanText#decodeJson}
 * accepts and decodes exactly what Jackson does; canonical and general SSE events, chunked
 * anywhere, give the same bytes. {@code -Dseed=} and {@code -Druns=} vary them.
 */
class DecodedStreamFuzzTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String ALPHA = "aZAJKBCDEGIOSWXY09 @+:=-.\"\\/\n\t\u0001\u007féè日🎉eyJ_,;()";

  static String randomText(Random r) {
    StringBuilder s = new StringBuilder();
    int tokens = 1 + r.nextInt(12);
    int[] cps = ALPHA.codePoints().toArray();
    for (int t = 0; t < tokens; t++) {
      int kind = r.nextInt(4);
      if (kind == 0) {
        TextStreamTest.Unit u = TextStreamTest.VALUES.get(r.nextInt(TextStreamTest.VALUES.size()));
        s.append(u.text());
      } else if (kind == 1) {
        s.append(TextStreamTest.DECOYS.get(r.nextInt(TextStreamTest.DECOYS.size())).text());
      } else {
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
          s.appendCodePoint(cps[r.nextInt(cps.length)]);
        }
      }
      if (r.nextInt(3) == 0) {
        s.append(" ");
      }
    }
    return s.toString();
  }

  static List<String> split(String text, Random r) {
    TreeSet<Integer> cuts = new TreeSet<>();
    int n = r.nextInt(Math.max(1, text.length()));
    for (int i = 0; i < n; i++) {
      int cut = r.nextInt(text.length() + 1);
      if (r.nextInt(4) != 0
          && cut > 0
          && cut < text.length()
          && Character.isLowSurrogate(text.charAt(cut))) {
        cut--;
      }
      cuts.add(cut);
    }
    cuts.add(text.length());
    List<String> pieces = new ArrayList<>();
    int from = 0;
    for (int c : cuts) {
      pieces.add(text.substring(from, c));
      from = c;
    }
    return pieces;
  }

  /** A JSON string body (no opening quote, with closing quote), escaped at random. */
  static byte[] jsonBody(String s, Random r) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      int mode = r.nextInt(8);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))
          && mode != 0) {
        b.append(c).append(s.charAt(++i));
        continue;
      }
      if (Character.isSurrogate(c)) {
        mode = 0;
      }
      if (mode == 0 || c < 0x20 || c == '"' || c == '\\') {
        if (mode < 4 && c == '"') {
          b.append("\\\"");
        } else if (mode < 4 && c == '\\') {
          b.append("\\\\");
        } else if (mode < 4 && c == '\n') {
          b.append("\\n");
        } else {
          b.append(String.format(r.nextBoolean() ? "\\u%04x" : "\\u%04X", (int) c));
        }
      } else if (mode == 1 && c == '/') {
        b.append("\\/");
      } else {
        b.append(c);
      }
    }
    b.append('"');
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  static final Masker ALL = Masker.builtIn(Masker.builtInDetectors());

  static Masker randomMasker(Random r) {
    if (r.nextBoolean()) {
      return ALL;
    }
    List<String> names = new ArrayList<>();
    for (String n : Masker.builtInDetectors()) {
      if (r.nextInt(3) == 0) {
        names.add(n);
      }
    }
    if (names.isEmpty()) {
      names.add(Masker.builtInDetectors().get(r.nextInt(Masker.builtInDetectors().size())));
    }
    return Masker.builtIn(names);
  }

  @Test
  void decodedStreamEqualsPushedStreamEqualsWhole() {
    Random r = new Random(Long.getLong("seed", 1));
    int runs = Integer.getInteger("runs", 4000);
    for (int run = 0; run < runs; run++) {
      Masker masker = randomMasker(r);
      String text = randomText(r);
      // add long filler sometimes so compact() happens
      if (r.nextInt(5) == 0) {
        text = "x".repeat(r.nextInt(1200)) + text + " ".repeat(r.nextInt(300)) + randomText(r);
      }
      List<String> pieces = split(text, r);
      String expected = masker.mask(text).text();
      TextStream general = masker.stream();
      TextStream fast = masker.stream();
      StringBuilder a = new StringBuilder();
      StringBuilder b = new StringBuilder();
      for (String piece : pieces) {
        a.append(general.push(piece));
        byte[] body = jsonBody(piece, r);
        if (r.nextInt(4) == 0) {
          // a failed attempt first: truncated, or a bad byte
          byte[] bad = java.util.Arrays.copyOf(body, body.length - 1);
          assertThat(fast.decodeJson(bad, 0, bad.length)).isEqualTo(-1);
        } else if (r.nextInt(4) == 0) {
          // decoded then dropped
          assertThat(fast.decodeJson(body, 0, body.length)).isEqualTo(body.length);
          fast.dropDecoded();
        }
        int end = fast.decodeJson(body, 0, body.length);
        assertThat(end).as("%s", piece).isEqualTo(body.length);
        fast.pushDecoded();
        b.append(fast.decidedText().toString());
      }
      a.append(general.finish());
      b.append(fast.finish());
      assertThat(a.toString())
          .as("general run %d %s %s", run, masker.detectors(), pieces)
          .isEqualTo(expected);
      assertThat(b.toString())
          .as("fast run %d %s %s", run, masker.detectors(), pieces)
          .isEqualTo(expected);
    }
  }

  // --- decodeJson vs Jackson on random bytes ---

  static final byte[] BYTE_ALPHA = {
    'a',
    'A',
    'J',
    '0',
    '@',
    '"',
    '\\',
    'u',
    'n',
    'b',
    'D',
    'F',
    'x',
    '/',
    0x01,
    0x1f,
    0x7f,
    (byte) 0xC2,
    (byte) 0xA9,
    (byte) 0xC0,
    (byte) 0x80,
    (byte) 0xE0,
    (byte) 0xED,
    (byte) 0xA0,
    (byte) 0x9F,
    (byte) 0xBF,
    (byte) 0xF0,
    (byte) 0xF4,
    (byte) 0x90,
    (byte) 0x8F,
    (byte) 0xF5,
    (byte) 0xFF,
    (byte) 0xE6,
    (byte) 0x97,
    (byte) 0xA5,
    '\n',
    ' ',
    'd',
    '8',
    'c'
  };

  @Test
  void decodeJsonAgreesWithJackson() throws Exception {
    Random r = new Random(Long.getLong("seed", 2));
    int disagreements = 0;
    StringBuilder report = new StringBuilder();
    for (int run = 0; run < 100_000; run++) {
      int n = r.nextInt(10);
      byte[] body = new byte[n + 1];
      for (int i = 0; i < n; i++) {
        body[i] = BYTE_ALPHA[r.nextInt(BYTE_ALPHA.length)];
      }
      body[n] = '"';
      ScanText t = new ScanText();
      int end = t.decodeJson(body, 0, body.length, (1 << ScanText.CLASSES) - 1);
      String ours = end < 0 ? null : new String(t.chars, 0, t.decoded);
      byte[] doc = new byte[body.length + 1];
      doc[0] = '"';
      System.arraycopy(body, 0, doc, 1, body.length);
      String theirs;
      int theirEnd = -1;
      try (JsonParser p = Json.FACTORY.createParser(doc)) {
        assertThat(p.nextToken()).isEqualTo(JsonToken.VALUE_STRING);
        theirs = p.getText();
        theirEnd = (int) p.currentLocation().getByteOffset() - 1;
      } catch (Exception e) {
        theirs = null;
      }
      boolean same = ours == null ? theirs == null : ours.equals(theirs) && end == theirEnd;
      if (!same && disagreements++ < 20) {
        report
            .append(java.util.Arrays.toString(body))
            .append(" ours=")
            .append(ours == null ? null : ours.chars().mapToObj(Integer::toHexString).toList())
            .append(" theirs=")
            .append(theirs == null ? null : theirs.chars().mapToObj(Integer::toHexString).toList())
            .append('\n');
      }
    }
    assertThat(disagreements).as("%s", report).isZero();
  }

  // --- SSE: canonical vs chunked vs whole text ---

  static byte[] sse(List<String> pieces, Random r, boolean canonical) {
    StringBuilder s = new StringBuilder();
    s.append(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"x\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n");
    s.append(
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(s.toString().getBytes(StandardCharsets.UTF_8));
    for (String piece : pieces) {
      String head =
          canonical
              ? "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\""
              : "event: content_block_delta\ndata: {\"type\": \"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"";
      out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
      out.writeBytes(jsonBody(piece, r));
      out.writeBytes("}}\n\n".getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
            .getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  static String textOf(byte[] output) throws Exception {
    StringBuilder text = new StringBuilder();
    for (SseTestSupport.Event e : SseTestSupport.parse(output)) {
      if (e.name().equals("content_block_delta")) {
        JsonNode d = JSON.readTree(e.data());
        text.append(d.get("delta").get("text").asText());
      }
    }
    return text.toString();
  }

  @Test
  void sseAllPathsAgree() throws Exception {
    MaskingProfile profile =
        MaskingPolicy.compile(
                PolicyYaml.masking(
                    "masking:\n  profiles:\n    all:\n      detectors: ["
                        + String.join(", ", Masker.builtInDetectors())
                        + "]\n"))
            .profile(List.of("all"));
    Random r = new Random(Long.getLong("seed", 3));
    int runs = Integer.getInteger("runs", 800);
    for (int run = 0; run < runs; run++) {
      String text = randomText(r);
      if (Boolean.getBoolean("long")) {
        StringBuilder t = new StringBuilder();
        int n = 5 + r.nextInt(40);
        for (int i = 0; i < n; i++) {
          t.append(randomText(r)).append(r.nextInt(3) == 0 ? "y".repeat(r.nextInt(300)) : "");
        }
        text = t.toString();
      }
      List<String> pieces = split(text, r);
      String expected = ALL.mask(text).text();
      long seed = r.nextLong();
      byte[] canon = sse(pieces, new Random(seed), true);
      byte[] general = sse(pieces, new Random(seed), false);
      byte[] whole = SseTestSupport.feed(profile.newSseMasker(), canon);
      assertThat(textOf(whole)).as("canonical run %d %s", run, pieces).isEqualTo(expected);
      assertThat(textOf(SseTestSupport.feed(profile.newSseMasker(), general)))
          .as("general run %d", run)
          .isEqualTo(expected);
      for (int k = 0; k < 5; k++) {
        TreeSet<Integer> cuts = new TreeSet<>();
        int m = 1 + r.nextInt(6);
        for (int i = 0; i < m; i++) {
          cuts.add(r.nextInt(canon.length + 1));
        }
        int[] c = cuts.stream().mapToInt(Integer::intValue).toArray();
        byte[] chunked = SseTestSupport.feed(profile.newSseMasker(), canon, c);
        assertThat(new String(chunked, StandardCharsets.UTF_8))
            .as("chunked run %d cuts %s pieces %s", run, cuts, pieces)
            .isEqualTo(new String(whole, StandardCharsets.UTF_8));
      }
    }
  }
}
