package dev.jitgw.policy.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UsageAccumulatorTest {
  /** A Messages API stream as the upstream sends it, with non-ASCII text and a keep-alive. */
  static final String STREAM =
      """
      event: message_start
      data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":1}}}

      event: content_block_start
      data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

      event: ping
      data: {"type": "ping"}

      : keep-alive

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Grüße — 日本語 🎉 \\"usage\\":{\\"output_tokens\\":999}"}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":0}

      event: message_delta
      data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

      event: message_stop
      data: {"type":"message_stop"}

      """;

  static final Usage STREAM_USAGE = new Usage(25, 15, 100, 2000);

  static final String MESSAGE =
      """
      {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",\
      "content":[{"type":"text","text":"Le café: \\"usage\\": {\\"input_tokens\\": 999}"},\
      {"type":"tool_use","id":"toolu_01","name":"report","input":{"usage":{"input_tokens":7}}}],\
      "stop_reason":"end_turn","stop_sequence":null,\
      "usage":{"input_tokens":12,"cache_creation_input_tokens":null,"cache_read_input_tokens":3,\
      "output_tokens":6,"service_tier":"standard"}}""";

  private static Optional<Usage> feedInChunks(
      UsageAccumulator accumulator, byte[] bytes, int[] cuts) {
    int from = 0;
    for (int cut : cuts) {
      accumulator.accept(Arrays.copyOfRange(bytes, from, cut));
      from = cut;
    }
    accumulator.accept(Arrays.copyOfRange(bytes, from, bytes.length));
    return accumulator.usage();
  }

  /** {@link #STREAM} with its lines ended by {@code LF}, {@code CRLF} or {@code CR}. */
  private static byte[] streamEndingLinesWith(String ending) {
    String eol =
        switch (ending) {
          case "CRLF" -> "\r\n";
          case "CR" -> "\r";
          default -> "\n";
        };
    return utf8(STREAM.replace("\n", eol));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aStreamGivesTheInputFromMessageStartAndTheOutputFromMessageDelta() {
    UsageAccumulator accumulator =
        UsageAccumulator.forContentType("text/event-stream; charset=utf-8");
    accumulator.accept(utf8(STREAM));
    assertThat(accumulator.usage()).contains(STREAM_USAGE);
    assertThat(accumulator.isComplete()).isTrue();
  }

  @ParameterizedTest(name = "line ending {0}")
  @ValueSource(strings = {"LF", "CRLF", "CR"})
  void aStreamSplitAtEveryByteBoundaryGivesTheSameUsage(String ending) {
    byte[] bytes = streamEndingLinesWith(ending);
    for (int cut = 0; cut <= bytes.length; cut++) {
      UsageAccumulator accumulator = UsageAccumulator.eventStream(1024);
      assertThat(feedInChunks(accumulator, bytes, new int[] {cut}))
          .as("split at byte %d", cut)
          .contains(STREAM_USAGE);
      assertThat(accumulator.isComplete()).isTrue();
    }
    UsageAccumulator bytewise = UsageAccumulator.eventStream(1024);
    for (byte b : bytes) {
      bytewise.accept(new byte[] {b});
    }
    assertThat(bytewise.usage()).contains(STREAM_USAGE);
  }

  @ParameterizedTest(name = "line ending {0}")
  @ValueSource(strings = {"LF", "CRLF", "CR"})
  void aStreamInDirectBuffersSplitAtEveryByteBoundaryGivesTheSameUsage(String ending) {
    // The data lines of events without usage are skipped to their end, not read: that search
    // must stop at a line end in either buffer, and at a CR alone.
    byte[] bytes = streamEndingLinesWith(ending);
    for (int cut = 0; cut <= bytes.length; cut++) {
      UsageAccumulator accumulator = UsageAccumulator.eventStream(1024);
      ByteBuf first = Unpooled.directBuffer(Math.max(1, cut));
      ByteBuf second = Unpooled.directBuffer(Math.max(1, bytes.length - cut));
      try {
        first.writeBytes(bytes, 0, cut);
        second.writeBytes(bytes, cut, bytes.length - cut);
        accumulator.accept(first);
        accumulator.accept(second);
      } finally {
        first.release();
        second.release();
      }
      assertThat(accumulator.usage()).as("split at byte %d", cut).contains(STREAM_USAGE);
      assertThat(accumulator.isComplete()).isTrue();
    }
  }

  @Test
  void aUsageEventRightAfterASkippedDataLineIsRead() {
    // No blank line is lost when a skipped line ends with the chunk, or a chunk starts with CRLF.
    String stream =
        "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\"}\r\n\r\n"
            + "event: message_delta\r\ndata: {\"type\":\"message_delta\",\"usage\":"
            + "{\"output_tokens\":15}}\r\n\r\n";
    byte[] bytes = utf8(stream);
    int skippedEnd = stream.indexOf("}\r\n") + 1;
    for (int cut = skippedEnd - 2; cut <= skippedEnd + 4; cut++) {
      UsageAccumulator accumulator = UsageAccumulator.eventStream(1024);
      assertThat(feedInChunks(accumulator, bytes, new int[] {cut}))
          .as("split at byte %d", cut)
          .hasValueSatisfying(usage -> assertThat(usage.outputTokens()).isEqualTo(15));
    }
  }

  @Test
  void aStreamInRandomChunksGivesTheSameUsage() {
    byte[] bytes = utf8(STREAM.replace("\n", "\r\n"));
    Random random = new Random(20261129);
    for (int round = 0; round < 200; round++) {
      int[] cuts = random.ints(random.nextInt(40), 0, bytes.length + 1).sorted().toArray();
      UsageAccumulator accumulator =
          UsageAccumulator.eventStream(UsageAccumulator.DEFAULT_MAX_LINE);
      assertThat(feedInChunks(accumulator, bytes, cuts))
          .as("cuts %s", Arrays.toString(cuts))
          .contains(STREAM_USAGE);
    }
  }

  @Test
  void byteBufsAreReadWithoutMovingOrReleasingThem() {
    byte[] bytes = utf8(STREAM);
    UsageAccumulator accumulator = UsageAccumulator.forContentType("text/event-stream");
    int half = bytes.length / 2 + 3;
    ByteBuf heap = Unpooled.wrappedBuffer(bytes, 0, half);
    ByteBuf direct = Unpooled.directBuffer(bytes.length - half);
    direct.writeBytes(bytes, half, bytes.length - half);
    try {
      accumulator.accept(heap);
      accumulator.accept(direct);
      assertThat(heap.readerIndex()).isZero();
      assertThat(direct.readableBytes()).isEqualTo(bytes.length - half);
      assertThat(heap.refCnt()).isEqualTo(1);
      assertThat(direct.refCnt()).isEqualTo(1);
    } finally {
      heap.release();
      direct.release();
    }
    assertThat(accumulator.usage()).contains(STREAM_USAGE);
  }

  @Test
  void theLatestValueOfEachFieldWins() {
    String stream =
        """
        event: message_start
        data: {"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}

        event: message_delta
        data: {"type":"message_delta","delta":{},"usage":{"output_tokens":40}}

        event: message_delta
        data: {"type":"message_delta","delta":{},"usage":{"input_tokens":30,"cache_read_input_tokens":7,"output_tokens":90}}

        """;
    UsageAccumulator accumulator = UsageAccumulator.eventStream(1024);
    accumulator.accept(utf8(stream));
    assertThat(accumulator.usage()).contains(new Usage(30, 90, 0, 7));
  }

  @Test
  void aStreamCutBeforeMessageDeltaHasOnlyTheInputAndIsNotComplete() {
    int cut = STREAM.indexOf("event: message_delta");
    UsageAccumulator accumulator = UsageAccumulator.eventStream(1024);
    accumulator.accept(utf8(STREAM.substring(0, cut)));
    assertThat(accumulator.usage()).contains(new Usage(25, 1, 100, 2000));
    assertThat(accumulator.isComplete()).isFalse();

    // An unfinished event (no empty line yet) is not read.
    UsageAccumulator unfinished = UsageAccumulator.eventStream(1024);
    unfinished.accept(utf8(STREAM.substring(0, STREAM.indexOf("\n\n"))));
    assertThat(unfinished.usage()).isEmpty();
  }

  @Test
  void overLongLinesAreSkippedWithTheirEventAndNothingFails() {
    String longText = "x".repeat(5000);
    String stream =
        STREAM.replace("\"text\":\"!\"", "\"text\":\"" + longText + "\"")
            + "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":"
            + "1".repeat(500)
            + "}}\n\n";
    UsageAccumulator accumulator = UsageAccumulator.eventStream(400);
    accumulator.accept(utf8(stream));
    // The long text delta is skipped; so is the over-long last message_delta.
    assertThat(accumulator.usage()).contains(STREAM_USAGE);

    UsageAccumulator tooShort = UsageAccumulator.eventStream(64);
    tooShort.accept(utf8(STREAM));
    assertThat(tooShort.usage()).isEmpty();
    assertThat(tooShort.isComplete()).isFalse();
  }

  @Test
  void eventsWithoutAnEventFieldAreReadByTheirType() {
    String stream =
        "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":4}}}\n\n"
            + "data: {\"type\":\"message_delta\",\n"
            + "data: \"usage\":{\"output_tokens\":9}}\n\n"
            + "data: not json\n\n";
    UsageAccumulator accumulator = UsageAccumulator.eventStream(1024);
    accumulator.accept(utf8(stream));
    assertThat(accumulator.usage()).contains(new Usage(4, 9, 0, 0));
  }

  @Test
  void aJsonBodyGivesItsTopLevelUsageWhateverTheSplit() {
    byte[] bytes = utf8(MESSAGE);
    Usage expected = new Usage(12, 6, 0, 3);
    for (int cut = 0; cut <= bytes.length; cut++) {
      UsageAccumulator accumulator = UsageAccumulator.forContentType("application/json");
      assertThat(feedInChunks(accumulator, bytes, new int[] {cut})).contains(expected);
      assertThat(accumulator.isComplete()).isTrue();
    }
  }

  @Test
  void aJsonBodyIsReadAgainWhenMoreArrivesAfterAnEarlyLook() {
    byte[] bytes = utf8(MESSAGE);
    UsageAccumulator accumulator = UsageAccumulator.json(4096);
    accumulator.accept(bytes, 0, 40);
    assertThat(accumulator.usage()).isEmpty();
    accumulator.accept(bytes, 40, bytes.length - 40);
    assertThat(accumulator.usage()).contains(new Usage(12, 6, 0, 3));
  }

  @Test
  void aJsonBodyOverTheCapHasNoUsage() {
    byte[] bytes = utf8(MESSAGE);
    UsageAccumulator accumulator = UsageAccumulator.json(bytes.length - 1);
    accumulator.accept(bytes, 0, 10);
    accumulator.accept(bytes, 10, bytes.length - 10);
    assertThat(accumulator.usage()).isEmpty();
    assertThat(accumulator.isComplete()).isFalse();

    UsageAccumulator exact = UsageAccumulator.json(bytes.length);
    exact.accept(bytes);
    assertThat(exact.usage()).isPresent();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
        "{\"input_tokens\":2095}",
        "{\"usage\":\"none\"}",
        "[1,2,3]",
        "not json at all",
        "{\"id\":\"msg_01\",\"usage\":{\"input_tokens\":",
        ""
      })
  void aJsonBodyWithoutUsageHasNone(String body) {
    UsageAccumulator accumulator = UsageAccumulator.forContentType("application/json");
    accumulator.accept(utf8(body));
    assertThat(accumulator.usage()).isEmpty();
  }

  @Test
  void otherContentTypesHaveNoUsage() {
    for (String type : new String[] {"text/plain", "application/octet-stream", null}) {
      UsageAccumulator accumulator = UsageAccumulator.forContentType(type);
      accumulator.accept(utf8(MESSAGE));
      assertThat(accumulator.usage()).as(String.valueOf(type)).isEmpty();
      assertThat(accumulator.isComplete()).isFalse();
    }
    UsageAccumulator problem = UsageAccumulator.forContentType("application/problem+json");
    problem.accept(utf8(MESSAGE));
    assertThat(problem.usage()).isPresent();
  }

  @Test
  void aStreamWithoutUsageEventsHasNone() {
    UsageAccumulator accumulator = UsageAccumulator.eventStream(1024);
    accumulator.accept(
        utf8(
            "event: ping\ndata: {\"type\":\"ping\"}\n\nevent: error\ndata: {\"type\":\"error\"}\n\n"));
    assertThat(accumulator.usage()).isEmpty();
  }
}
