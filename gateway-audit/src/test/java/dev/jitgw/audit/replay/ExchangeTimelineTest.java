package dev.jitgw.audit.replay;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.export.TestLog;
import dev.jitgw.audit.replay.ExchangeTimeline.Header;
import dev.jitgw.audit.replay.ExchangeTimeline.Piece;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** {@link ExchangeTimeline}: one exchange's records as what the caller received and when. */
class ExchangeTimelineTest {

  static final String ID = "01JREPLAY0000000000000000A";

  /** Text with a two-, a three- and a four-byte UTF-8 character. */
  static final String TEXT = "data: {\"text\":\"héllo € 😀\"}\n\n";

  /** Bytes that are not UTF-8: NUL, 0xff, a lone continuation byte, CR LF. */
  static final byte[] BINARY = {0x00, (byte) 0xff, (byte) 0x80, '\r', '\n', 0x7f};

  /** An exchange whose response is a utf-8 chunk and a base64 chunk. */
  static TestLog exchange(TestLog log, String id) {
    log.append("request", id, TestLog.fields().put("method", "POST").put("path", "/v1/messages"));
    log.append("decision", id, TestLog.fields().put("decision", "allow").put("rule", "r1"));
    ObjectNode head = TestLog.fields().put("offset_ms", 0).put("status", 200);
    head.putObject("headers")
        .put("content-type", "text/event-stream")
        .putArray("x-many")
        .add("a")
        .add("b");
    log.append("response_head", id, head);
    ObjectNode text = TestLog.fields().put("part", 0).put("encoding", "utf-8");
    text.putArray("pieces")
        .add(piece(0, "data: {\"text\":\"hé"))
        .add(piece(100, "llo € 😀\"}\n\n"));
    log.append("response_chunk", id, text);
    ObjectNode binary = TestLog.fields().put("part", 1).put("encoding", "base64");
    binary.putArray("pieces").add(piece(250, Base64.getEncoder().encodeToString(BINARY)));
    log.append("response_chunk", id, binary);
    ObjectNode masking = TestLog.fields();
    masking.putObject("counts").put("email", 1);
    log.append("masking", id, masking);
    ObjectNode end =
        TestLog.fields()
            .put("outcome", "complete")
            .put("status", 200)
            .put("duration_ms", 260)
            .put("bytes", TEXT.getBytes(UTF_8).length + BINARY.length);
    end.putObject("usage").put("input_tokens", 12).put("output_tokens", 34);
    log.append("response_end", id, end);
    return log;
  }

  static ObjectNode piece(long offsetMs, String data) {
    return TestLog.fields().put("offset_ms", offsetMs).put("data", data);
  }

  @Test
  void assemblesTheExchange() {
    List<byte[]> records = exchange(new TestLog(), ID).records();

    ExchangeTimeline timeline = ExchangeTimeline.ofRecords(records);

    assertThat(timeline.exchangeId()).isEqualTo(ID);
    assertThat(timeline.request())
        .hasValueSatisfying(r -> assertThat(r.get("seq").asLong()).isZero());
    assertThat(timeline.decision().orElseThrow().get("decision").asText()).isEqualTo("allow");
    ExchangeTimeline.ResponseHead head = timeline.head().orElseThrow();
    assertThat(head.offsetMs()).isZero();
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.headers())
        .containsExactly(
            new Header("content-type", "text/event-stream"),
            new Header("x-many", "a"),
            new Header("x-many", "b"));
    assertThat(timeline.pieces()).extracting(Piece::offsetMs).containsExactly(0L, 100L, 250L);
    ExchangeTimeline.Outcome outcome = timeline.outcome().orElseThrow();
    assertThat(outcome.outcome()).isEqualTo("complete");
    assertThat(outcome.status()).isEqualTo(OptionalInt.of(200));
    assertThat(outcome.durationMs()).isEqualTo(OptionalLong.of(260));
    assertThat(outcome.error()).isEmpty();
    assertThat(outcome.usage().orElseThrow().get("output_tokens").asInt()).isEqualTo(34);
    assertThat(timeline.records()).hasSize(7);
  }

  @Test
  void decodesUtf8AndBase64PiecesByteExact() {
    ExchangeTimeline timeline = ExchangeTimeline.ofRecords(exchange(new TestLog(), ID).records());

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(TEXT.getBytes(UTF_8));
    expected.writeBytes(BINARY);
    assertThat(timeline.body()).isEqualTo(expected.toByteArray());
    // The split inside the text is where the writes were, between whole characters.
    assertThat(timeline.pieces().get(0).bytes()).isEqualTo("data: {\"text\":\"hé".getBytes(UTF_8));
    assertThat(timeline.pieces().get(2).bytes()).isEqualTo(BINARY);
  }

  @Test
  void ordersRecordsBySeq() {
    List<byte[]> records = new ArrayList<>(exchange(new TestLog(), ID).records());
    Collections.reverse(records);

    ExchangeTimeline timeline = ExchangeTimeline.ofRecords(records);

    assertThat(timeline.records()).extracting(r -> r.get("seq").asLong()).isSorted();
    assertThat(timeline.pieces()).extracting(Piece::offsetMs).containsExactly(0L, 100L, 250L);
  }

  @Test
  void readsHeadersWrittenAsAListOfPairs() {
    TestLog log = new TestLog();
    ObjectNode head = TestLog.fields().put("offset_ms", 5).put("status", 429);
    head.putArray("headers").add(TestLog.JSON.createArrayNode().add("retry-after").add("3"));
    log.append("response_head", ID, head);

    assertThat(ExchangeTimeline.ofRecords(log.records()).head().orElseThrow().headers())
        .containsExactly(new Header("retry-after", "3"));
  }

  @Test
  void aDeniedExchangeHasNoResponse() {
    TestLog log = new TestLog();
    log.append("request", ID, TestLog.fields().put("method", "GET"));
    log.append("decision", ID, TestLog.fields().put("decision", "deny").put("reason", "no"));

    ExchangeTimeline timeline = ExchangeTimeline.ofRecords(log.records());

    assertThat(timeline.head()).isEmpty();
    assertThat(timeline.pieces()).isEmpty();
    assertThat(timeline.outcome()).isEmpty();
    assertThat(timeline.body()).isEmpty();
  }

  @Test
  void aMissingChunkPartIsRefused() {
    List<byte[]> records = new ArrayList<>(exchange(new TestLog(), ID).records());
    records.remove(3); // part 0

    assertThatThrownBy(() -> ExchangeTimeline.ofRecords(records))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "record seq 4 is response_chunk part 1 (expected: part 0; a part is missing or out of"
                + " order)");
  }

  @Test
  void recordsOfTwoExchangesAreRefused() {
    TestLog log = new TestLog();
    log.append("request", ID, TestLog.fields());
    log.append("request", "01JOTHER00000000000000000B", TestLog.fields());

    assertThatThrownBy(() -> ExchangeTimeline.ofRecords(log.records()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has exchange_id 01JOTHER00000000000000000B (expected: " + ID);
  }

  @Test
  void anUnknownEncodingIsRefused() {
    TestLog log = new TestLog();
    ObjectNode chunk = TestLog.fields().put("part", 0).put("encoding", "latin-1");
    chunk.putArray("pieces").add(piece(0, "x"));
    log.append("response_chunk", ID, chunk);

    assertThatThrownBy(() -> ExchangeTimeline.ofRecords(log.records()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("record seq 0 has encoding latin-1 (expected: utf-8 or base64)");
  }

  @Test
  void recordsAreHandedOutAsCopies() {
    ExchangeTimeline timeline = ExchangeTimeline.ofRecords(exchange(new TestLog(), ID).records());

    ((ObjectNode) timeline.request().orElseThrow()).put("path", "/changed");
    timeline.pieces().get(0).bytes()[0] = 'X';

    assertThat(timeline.request().orElseThrow().get("path").asText()).isEqualTo("/v1/messages");
    assertThat(timeline.pieces().get(0).bytes()[0]).isEqualTo((byte) 'd');
  }
}
