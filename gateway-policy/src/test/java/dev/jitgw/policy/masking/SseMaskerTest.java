package dev.jitgw.policy.masking;

import static dev.jitgw.policy.masking.SseTestSupport.accumulate;
import static dev.jitgw.policy.masking.SseTestSupport.feed;
import static dev.jitgw.policy.masking.SseTestSupport.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.policy.masking.SseTestSupport.Event;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SseMaskerTest {
  static final MaskingProfile PROFILE =
      MaskingPolicy.compile(
              PolicyYaml.masking(
                  """
                  masking:
                    profiles:
                      strict:
                        detectors: [email, credit_card, anthropic_api_key, aws_access_key]
                        fields: [password]
                      dropper: {thinking: drop}
                  """))
          .profile(List.of("strict"));

  static final MaskingProfile DROP =
      MaskingPolicy.compile(
              PolicyYaml.masking(
                  """
                  masking:
                    profiles:
                      strict: {detectors: [email, credit_card], thinking: drop}
                  """))
          .profile(List.of("strict"));

  static final String EMAIL = "john.smith@example.com";
  static final String CARD = "4111 1111 1111 1111";
  static final String KEY = DetectorTest.ANTHROPIC_KEY;

  static final String TEXT =
      "Grüße — 日本語 🎉 mail "
          + EMAIL
          + " or pay with "
          + CARD
          + ", key "
          + KEY
          + " and that is all.";

  static final String MASKED_TEXT =
      "Grüße — 日本語 🎉 mail [MASKED:email] or pay with [MASKED:credit_card], key"
          + " [MASKED:anthropic_api_key] and that is all.";

  /** {@code text} cut into pieces at random code point boundaries. */
  static List<String> pieces(String text, Random random, int max) {
    TreeSet<Integer> cuts = new TreeSet<>();
    int n = random.nextInt(max);
    for (int i = 0; i < n; i++) {
      int cut = random.nextInt(text.length() + 1);
      if (cut > 0 && cut < text.length() && Character.isLowSurrogate(text.charAt(cut))) {
        cut--;
      }
      cuts.add(cut);
    }
    List<String> pieces = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      pieces.add(text.substring(from, cut));
      from = cut;
    }
    pieces.add(text.substring(from));
    return pieces;
  }

  static final String INPUT =
      "{\"command\":\"curl -H 'x-api-key: "
          + KEY
          + "' https://api.test\",\"user\":{\"email\":\""
          + EMAIL
          + "\",\"password\":\"hunter2\",\"cards\":[\""
          + CARD
          + "\", 42, 1.50, true, null]}}";

  static SseTestSupport.Stream stream(Random random) {
    return new SseTestSupport.Stream()
        .messageStart()
        .ping()
        .textBlock(0, pieces(TEXT, random, 30))
        .toolBlock(1, "toolu_01", pieces(INPUT, random, 20))
        .messageEnd();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
  void theMaskedStreamAccumulatesToTheMaskedMessage(int seed) throws Exception {
    byte[] upstream = stream(new Random(seed)).bytes();
    SseMasker masker = PROFILE.newSseMasker();
    byte[] output = feed(masker, upstream);

    ObjectNode original = accumulate(parse(upstream));
    ObjectNode received = accumulate(parse(output));
    assertThat(received.get("content").get(0).get("text").asText()).isEqualTo(MASKED_TEXT);
    JsonNode input = received.get("content").get(1).get("input");
    assertThat(input.get("command").asText())
        .isEqualTo("curl -H 'x-api-key: [MASKED:anthropic_api_key]' https://api.test");
    assertThat(input.at("/user/email").asText()).isEqualTo("[MASKED:email]");
    assertThat(input.at("/user/password").asText()).isEqualTo("[MASKED:field:password]");
    assertThat(input.at("/user/cards/0").asText()).isEqualTo("[MASKED:credit_card]");
    assertThat(input.at("/user/cards/2").decimalValue()).isEqualByComparingTo("1.50");

    // Streamed and unstreamed masking agree.
    byte[] unstreamed =
        PROFILE.jsonBodyMasker().mask(SseTestSupport.JSON.writeValueAsBytes(original)).body();
    assertThat(received).isEqualTo(SseTestSupport.JSON.readTree(unstreamed));

    assertThat(masker.counts())
        .isEqualTo(
            Map.of("email", 2L, "credit_card", 2L, "anthropic_api_key", 2L, "field:password", 1L));
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {11, 12, 13, 14})
  void noPartOfAValueLeavesInAnyEvent(int seed) throws Exception {
    Random random = new Random(seed);
    List<String> values = List.of(EMAIL, CARD, KEY, "hunter2");
    // Four characters of a value, unless the text around the values has them too.
    String around =
        new SseTestSupport.Stream()
            .messageStart()
            .textBlock(0, List.of(TEXT))
            .toolBlock(1, "toolu_01", List.of(INPUT))
            .messageEnd()
            .toString();
    for (String value : values) {
      around = around.replace(value, "\u0000");
    }
    List<String> grams = new ArrayList<>();
    for (String value : values) {
      for (int i = 0; i + 4 <= value.length(); i++) {
        if (!around.contains(value.substring(i, i + 4))) {
          grams.add(value.substring(i, i + 4));
        }
      }
    }
    assertThat(grams).hasSizeGreaterThan(100);
    for (int round = 0; round < 50; round++) {
      byte[] output = feed(PROFILE.newSseMasker(), stream(random).bytes());
      String text = new String(output, StandardCharsets.UTF_8);
      for (String gram : grams) {
        assertThat(text).doesNotContain(gram);
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {51, 52, 53, 54, 55, 56})
  void randomTextsInRandomDeltasAndChunksAccumulateToTheWholeTextMasked(int seed) throws Exception {
    MaskingProfile profile =
        new MaskingProfile(
            List.of("test"), TextStreamTest.MASKER, java.util.Set.of(), ThinkingMode.LEAVE);
    Random random = new Random(seed);
    for (int round = 0; round < 20; round++) {
      StringBuilder expected = new StringBuilder();
      String text = TextStreamTest.generate(random, true, expected);
      byte[] upstream =
          new SseTestSupport.Stream()
              .messageStart()
              .textBlock(0, pieces(text, random, 60))
              .messageEnd()
              .bytes();
      TreeSet<Integer> cuts = new TreeSet<>();
      for (int i = random.nextInt(30); i > 0; i--) {
        cuts.add(random.nextInt(upstream.length + 1));
      }
      byte[] output =
          feed(
              profile.newSseMasker(),
              upstream,
              cuts.stream().mapToInt(Integer::intValue).toArray());
      assertThat(accumulate(parse(output)).at("/content/0/text").asText())
          .as("seed %d round %d", seed, round)
          .isEqualTo(expected.toString());
      assertThat(parse(output)).hasSizeGreaterThanOrEqualTo(parse(upstream).size());
    }
  }

  @Test
  void heldTextGoesOutInEmptyDeltasThenOneAddedDeltaBeforeTheStop() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .textBlock(0, List.of("write to john", ".smith@exa", "mple.com"))
            .messageEnd()
            .bytes();
    List<Event> events = parse(feed(PROFILE.newSseMasker(), upstream));
    List<String> shape = new ArrayList<>();
    for (Event event : events) {
      JsonNode data = event.json();
      String delta = data.path("delta").path("text").asText(null);
      shape.add(event.name() + (delta == null ? "" : "[" + delta + "]"));
    }
    assertThat(shape)
        .containsExactly(
            "message_start",
            "content_block_start",
            "content_block_delta[write to ]",
            "content_block_delta[]",
            "content_block_delta[]",
            "content_block_delta[[MASKED:email]]",
            "content_block_stop",
            "message_delta",
            "message_stop");
  }

  @Test
  void toolInputDeltasGoOutEmptyAndTheMaskedInputWholeBeforeTheStop() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .toolBlock(0, "toolu_01", List.of("", "{\"password\":", " \"hunter2\"}"))
            .messageEnd()
            .bytes();
    List<Event> events = parse(feed(PROFILE.newSseMasker(), upstream));
    List<String> partials = new ArrayList<>();
    for (Event event : events) {
      JsonNode partial = event.json().path("delta").path("partial_json");
      if (!partial.isMissingNode()) {
        partials.add(partial.asText());
      }
    }
    assertThat(partials).containsExactly("", "", "", "{\"password\":\"[MASKED:field:password]\"}");
    assertThat(events).hasSize(9); // the three deltas, and one added before content_block_stop
  }

  @Test
  void toolInputWithNothingToMaskGoesOutAsItCame() throws Exception {
    String input = "{\"path\": \"/tmp/a b\",  \"n\": 1.0e3}";
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .toolBlock(0, "toolu_01", List.of(input.substring(0, 9), input.substring(9)))
            .messageEnd()
            .bytes();
    ObjectNode received = accumulate(parse(feed(PROFILE.newSseMasker(), upstream)));
    List<Event> events = parse(feed(PROFILE.newSseMasker(), upstream));
    assertThat(events.get(events.size() - 4).json().at("/delta/partial_json").asText())
        .isEqualTo(input);
    assertThat(received.at("/content/0/input/path").asText()).isEqualTo("/tmp/a b");
  }

  @Test
  void aCharacterOutsideTheBmpAfterALongPlainRunGoesOutWhole() throws Exception {
    // Found in review: 255 plain chars then an emoji overflowed the decoder's 256-char array.
    for (int plain = 250; plain < 262; plain++) {
      String text = "a".repeat(plain) + "🎉";
      byte[] upstream =
          new SseTestSupport.Stream()
              .messageStart()
              .textBlock(0, List.of(text))
              .messageEnd()
              .bytes();
      byte[] out = feed(PROFILE.newSseMasker(), upstream);
      assertThat(new String(out, java.nio.charset.StandardCharsets.UTF_8)).contains(text);
    }
  }

  @Test
  void everySplitOfTheBytesGivesTheSameOutput() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .ping()
            .raw(": keep-alive\n\n")
            .textBlock(
                0,
                List.of(
                    "Grüße 🎉 jo",
                    "hn@example.",
                    "com, 日本語 4111 1111 ",
                    "1111 1111.",
                    " plain \"quoted\"\nline é then",
                    " back\\slash\tand 🎉 plain wor",
                    "ds ü"))
            .toolBlock(1, "toolu_01", List.of("{\"x\":\"", "a@example.com\"}"))
            .messageEnd()
            .bytes();
    byte[] whole = feed(PROFILE.newSseMasker(), upstream);
    for (int cut = 0; cut <= upstream.length; cut++) {
      assertThat(feed(PROFILE.newSseMasker(), upstream, cut)).as("cut at %d", cut).isEqualTo(whole);
    }
    int[] everyByte = new int[upstream.length];
    for (int i = 0; i < everyByte.length; i++) {
      everyByte[i] = i;
    }
    assertThat(feed(PROFILE.newSseMasker(), upstream, everyByte)).isEqualTo(whole);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {61, 62, 63, 64})
  void streamsReadInTurnOnOneThreadGiveWhatEachGivesAlone(int seed) throws Exception {
    // The maskers of one thread share their scratch buffers: what one keeps between chunks (an
    // event cut by a chunk's end) must not change when another reads a chunk in between.
    Random random = new Random(seed);
    int streams = 3;
    List<byte[]> upstream = new ArrayList<>();
    List<byte[]> alone = new ArrayList<>();
    List<SseMasker> maskers = new ArrayList<>();
    List<java.io.ByteArrayOutputStream> outputs = new ArrayList<>();
    List<Integer> read = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      byte[] bytes = stream(random).bytes();
      upstream.add(bytes);
      alone.add(feed(PROFILE.newSseMasker(), bytes));
      maskers.add(PROFILE.newSseMasker());
      outputs.add(new java.io.ByteArrayOutputStream());
      read.add(0);
    }
    int left = streams;
    while (left > 0) {
      int s = random.nextInt(streams);
      byte[] bytes = upstream.get(s);
      int from = read.get(s);
      if (from == bytes.length) {
        continue;
      }
      int to = Math.min(bytes.length, from + 1 + random.nextInt(200));
      // Direct (copied into the shared scratch array) or heap (read in place), as Netty gives;
      // a heap chunk's array is overwritten once read, as a pooled one would be.
      byte[] heap = Arrays.copyOfRange(bytes, from, to);
      ByteBuf chunk =
          random.nextBoolean()
              ? Unpooled.directBuffer(to - from).writeBytes(bytes, from, to - from)
              : Unpooled.wrappedBuffer(heap);
      try {
        outputs.get(s).writeBytes(maskers.get(s).accept(chunk));
      } finally {
        chunk.release();
        Arrays.fill(heap, (byte) 'x');
      }
      read.set(s, to);
      if (to == bytes.length) {
        outputs.get(s).writeBytes(maskers.get(s).finish());
        left--;
      }
    }
    for (int s = 0; s < streams; s++) {
      assertThat(outputs.get(s).toByteArray()).as("stream %d", s).isEqualTo(alone.get(s));
    }
  }

  @ParameterizedTest(name = "line ending {0}")
  @ValueSource(strings = {"\n", "\r\n", "\r"})
  void lineEndingsCommentsAndIdsAreKept(String eol) throws Exception {
    String upstream =
        (": hello\n"
                + "id: 7\n"
                + "event: content_block_start\n"
                + "data: {\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                + "id: 8\n"
                + ": a comment\n"
                + "event: content_block_delta\n"
                + "data: {\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\"hi a@example.com ok\"}}\n\n"
                + "event: ping\n"
                + "data: {\"type\": \"ping\"}\n\n")
            .replace("\n", eol);
    byte[] bytes = upstream.getBytes(StandardCharsets.UTF_8);
    byte[] output = feed(PROFILE.newSseMasker(), bytes);
    String text = new String(output, StandardCharsets.UTF_8);
    // Events that needed no change go out byte for byte, line endings and all.
    assertThat(text).startsWith(upstream.substring(0, upstream.indexOf("id: 8")));
    assertThat(text).endsWith(("event: ping\ndata: {\"type\": \"ping\"}\n\n").replace("\n", eol));
    assertThat(text)
        .contains(
            "id: 8\n: a comment\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                + "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi [MASKED:email] \"}}\n\n");
    List<Event> events = parse(output);
    assertThat(events).extracting(Event::id).containsExactly("7", "8", "8");
    // Every split gives the same, also inside a CRLF.
    for (int cut = 0; cut <= bytes.length; cut++) {
      assertThat(feed(PROFILE.newSseMasker(), bytes, cut)).as("cut at %d", cut).isEqualTo(output);
    }
  }

  @Test
  void eventsWithoutChangesPassByteForByte() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .ping()
            .event("future_event", Map.of("type", "future_event", "text", EMAIL))
            .raw(
                "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}\n\n")
            .textBlock(0, List.of("nothing ", "to mask here. "))
            .messageEnd()
            .bytes();
    assertThat(feed(PROFILE.newSseMasker(), upstream)).isEqualTo(upstream);
  }

  @Test
  void thinkingPassesUnchangedWhenLeft() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .thinkingBlock(
                0, List.of("The user's mail is " + EMAIL, ", card " + CARD), "EqQBCgIYAhIM")
            .textBlock(1, List.of("Done!"))
            .messageEnd()
            .bytes();
    SseMasker masker = PROFILE.newSseMasker();
    assertThat(feed(masker, upstream)).isEqualTo(upstream);
    assertThat(masker.counts()).isEmpty();
  }

  @Test
  void thinkingDroppedBecomesRedactedThinkingAndPings() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .thinkingBlock(0, List.of("The user's mail is " + EMAIL), "EqQBCgIYAhIM")
            .textBlock(1, List.of("Done!"))
            .messageEnd()
            .bytes();
    SseMasker masker = DROP.newSseMasker();
    byte[] output = feed(masker, upstream);
    List<Event> in = parse(upstream);
    List<Event> out = parse(output);
    assertThat(out).hasSameSizeAs(in);
    assertThat(out)
        .extracting(Event::name)
        .containsExactly(
            "message_start",
            "content_block_start",
            "ping",
            "ping",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop");
    assertThat(out.get(1).json().get("content_block"))
        .isEqualTo(
            SseTestSupport.JSON.readTree(
                "{\"type\":\"redacted_thinking\",\"data\":\"[MASKED:thinking]\"}"));
    assertThat(new String(output, StandardCharsets.UTF_8))
        .doesNotContain("john")
        .doesNotContain("EqQB");
    ObjectNode message = accumulate(out);
    assertThat(message.at("/content/0/type").asText()).isEqualTo("redacted_thinking");
    assertThat(masker.counts()).isEqualTo(Map.of("thinking", 1L));
  }

  static List<String> malformed() {
    String delta = "event: content_block_delta\ndata: ";
    return List.of(
        delta
            + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"sk-ant-\n\n",
        delta + "not json at all\n\n",
        delta + "[1, 2]\n\n",
        delta
            + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\",\"text\":\"b\"}}\n\n",
        delta
            + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\"}}\n\n",
        delta
            + "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n",
        delta
            + "{\"type\":\"content_block_delta\",\"index\":9,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n",
        delta
            + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n",
        "event: ping\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":3}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: message_stop\ndata: {}\n\n",
        delta
            + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta_v2\",\"text\":\"sk-ant-api03\"}}\n\n");
  }

  @ParameterizedTest(name = "#{index}")
  @org.junit.jupiter.params.provider.MethodSource("malformed")
  void anEventThatCannotBeMaskedFailsClosed(String bad) throws Exception {
    byte[] start =
        new SseTestSupport.Stream()
            .messageStart()
            .blockStart(0, Map.of("type", "text", "text", ""))
            .bytes();
    SseMasker masker = PROFILE.newSseMasker();
    byte[] before = masker.accept(start);
    assertThat(parse(before)).hasSize(2);
    byte[] badBytes = bad.getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> masker.accept(badBytes))
        .isInstanceOf(MaskingException.class)
        .hasMessageStartingWith("event 3")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("sk-ant"));
    assertThat(masker.failed()).isTrue();
    assertThatThrownBy(() -> masker.accept("\n".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MaskingException.class);
    assertThatThrownBy(masker::finish).isInstanceOf(MaskingException.class);
  }

  @Test
  void countsIncludeWhatABlockCutShortMaskedBeforeTheEnd() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .blockStart(0, SseTestSupport.obj("type", "text", "text", ""))
            .delta(0, SseTestSupport.obj("type", "text_delta", "text", "a@example.com and b@exa"))
            .bytes();
    SseMasker masker = PROFILE.newSseMasker();
    String text = new String(feed(masker, upstream), StandardCharsets.UTF_8);
    assertThat(text).contains("[MASKED:email] and ").doesNotContain("b@");
    assertThat(masker.counts()).isEqualTo(Map.of("email", 1L));
  }

  @Test
  void toolInputThatIsNotJsonFailsAtTheStop() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .toolBlock(0, "toolu_01", List.of("{\"a\": ", "sk-ant-api03-xx"))
            .bytes();
    SseMasker masker = PROFILE.newSseMasker();
    assertThatThrownBy(() -> masker.accept(upstream))
        .isInstanceOf(MaskingException.class)
        .hasMessageContaining("tool input of block 0 is not valid JSON")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("sk-ant"));
  }

  @Test
  void anEventOverTheCapFailsClosed() throws Exception {
    SseMasker masker = PROFILE.newSseMasker(64, 1024);
    byte[] big = ("data: " + "x".repeat(100) + "\n\n").getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> masker.accept(big))
        .isInstanceOf(MaskingException.class)
        .hasMessageContaining("over the cap of 64 bytes");
  }

  @Test
  void aTextDeltaOverTheCapFailsClosedHoweverItIsSplit() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .textBlock(0, List.of("short", "y".repeat(600)))
            .messageEnd()
            .bytes();
    for (int[] cuts : List.of(new int[0], new int[] {upstream.length / 2})) {
      SseMasker masker = PROFILE.newSseMasker(512, 1024);
      assertThatThrownBy(() -> feed(masker, upstream, cuts))
          .as("cut at %s", Arrays.toString(cuts))
          .isInstanceOf(MaskingException.class)
          .hasMessageContaining("over the cap of 512 bytes");
    }
  }

  @Test
  void toolInputOverTheCapFailsClosed() throws Exception {
    SseMasker masker = PROFILE.newSseMasker(1 << 20, 10);
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .toolBlock(0, "toolu_01", List.of("{\"a\": ", "\"0123456789\"}"))
            .bytes();
    assertThatThrownBy(() -> masker.accept(upstream))
        .isInstanceOf(MaskingException.class)
        .hasMessageContaining("over the cap of 10 chars");
  }

  @Test
  void aStreamCutShortNeverSendsWhatWasHeld() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .blockStart(0, Map.of("type", "text", "text", ""))
            .delta(0, Map.of("type", "text_delta", "text", "key sk-ant-api03-abcdef"))
            .raw("event: content_block_delta\ndata: {\"type\":\"content_block_delta\"")
            .bytes();
    SseMasker masker = PROFILE.newSseMasker();
    byte[] output = feed(masker, upstream);
    String text = new String(output, StandardCharsets.UTF_8);
    assertThat(text).contains("\"text\":\"key \"").doesNotContain("sk-");
  }

  @Test
  void textInContentBlockStartIsStreamedToo() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .blockStart(0, Map.of("type", "text", "text", "mail jo"))
            .delta(0, Map.of("type", "text_delta", "text", "hn@example.com now"))
            .blockStop(0)
            .messageEnd()
            .bytes();
    ObjectNode message = accumulate(parse(feed(PROFILE.newSseMasker(), upstream)));
    assertThat(message.at("/content/0/text").asText()).isEqualTo("mail [MASKED:email] now");
  }

  @Test
  void serverToolResultsAndCitationsAreMasked() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .blockStart(
                0,
                Map.of(
                    "type",
                    "web_search_tool_result",
                    "tool_use_id",
                    "srvtoolu_01",
                    "content",
                    List.of(
                        Map.of(
                            "type", "web_search_result",
                            "title", "Contact " + EMAIL,
                            "url", "https://example.com/a",
                            "encrypted_content",
                                "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y2Q"))))
            .blockStop(0)
            .blockStart(1, Map.of("type", "text", "text", ""))
            .delta(
                1,
                Map.of(
                    "type",
                    "citations_delta",
                    "citation",
                    Map.of(
                        "type",
                        "web_search_result_location",
                        "cited_text",
                        "write " + EMAIL,
                        "url",
                        "https://example.com/a")))
            .delta(1, Map.of("type", "text_delta", "text", "See the page."))
            .blockStop(1)
            .messageEnd()
            .bytes();
    ObjectNode message = accumulate(parse(feed(PROFILE.newSseMasker(), upstream)));
    assertThat(message.at("/content/0/content/0/title").asText())
        .isEqualTo("Contact [MASKED:email]");
    assertThat(message.at("/content/0/content/0/encrypted_content").asText())
        .startsWith("EqgfCioIARgB");
    assertThat(message.at("/content/1/citations/0/cited_text").asText())
        .isEqualTo("write [MASKED:email]");
  }

  @ParameterizedTest(name = "#{index}")
  @ValueSource(
      strings = {
        // As the API writes it (the fast path).
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"%s\"}}",
        // Other key orders and spaces.
        "{ \"index\" : 0, \"delta\": {\"text\": \"%s\", \"type\": \"text_delta\"}, \"type\": \"content_block_delta\" }",
        // An extra field: kept.
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"%s\"},\"extra\":[1]}"
      })
  void textDeltasInAnyJsonLayoutAreMaskedAlike(String layout) throws Exception {
    // "mail john@example.com 🎉 ok" with escapes: \\u-escaped letters, an escaped surrogate pair.
    String escaped = "mail \\u006a\\u006fhn@example.com \\ud83c\\udf89\\tok";
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .blockStart(0, SseTestSupport.obj("type", "text", "text", ""))
            .raw("event: content_block_delta\ndata: " + String.format(layout, escaped) + "\n\n")
            .blockStop(0)
            .messageEnd()
            .bytes();
    byte[] output = feed(PROFILE.newSseMasker(), upstream);
    ObjectNode message = accumulate(parse(output));
    assertThat(message.at("/content/0/text").asText()).isEqualTo("mail [MASKED:email] 🎉\tok");
    assertThat(new String(output, StandardCharsets.UTF_8)).doesNotContain("hn@");
    if (layout.contains("extra")) {
      assertThat(new String(output, StandardCharsets.UTF_8)).contains("\"extra\":[1]");
    }
  }

  @Test
  void byteBufInputIsReadWithoutConsumingIt() throws Exception {
    byte[] upstream =
        new SseTestSupport.Stream().messageStart().textBlock(0, List.of("a@example.com ")).bytes();
    ByteBuf buf = Unpooled.wrappedBuffer(upstream);
    try {
      byte[] output = PROFILE.newSseMasker().accept(buf);
      assertThat(buf.readerIndex()).isZero();
      assertThat(buf.refCnt()).isEqualTo(1);
      assertThat(new String(output, StandardCharsets.UTF_8)).contains("[MASKED:email]");
    } finally {
      buf.release();
    }
  }

  @Test
  void theMaskedOutputOfOneChunkIsAllCompleteEvents() throws Exception {
    byte[] upstream = stream(new Random(3)).bytes();
    SseMasker masker = PROFILE.newSseMasker();
    int half = upstream.length / 2;
    byte[] first = masker.accept(Arrays.copyOf(upstream, half));
    String text = new String(first, StandardCharsets.UTF_8);
    assertThat(text).endsWith("\n\n");
  }
}
