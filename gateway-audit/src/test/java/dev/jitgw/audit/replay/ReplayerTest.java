package dev.jitgw.audit.replay;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.export.MalformedExportException;
import dev.jitgw.audit.export.TestLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Replayer}: the body again, with its timing scaled, and exchanges found in exports. */
class ReplayerTest {

  /** Records the waits, and what had been written when each began. */
  private final List<Long> sleeps = new ArrayList<>();

  private final List<String> writtenBeforeSleep = new ArrayList<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private final Replayer.Sleeper sleeper =
      millis -> {
        sleeps.add(millis);
        writtenBeforeSleep.add(out.toString(UTF_8));
      };

  /** Pieces "a" at 0 ms, "bc" at 100 ms, "def" at 250 ms; the head at 0 ms. */
  private static ExchangeTimeline abc(long headOffsetMs) {
    TestLog log = new TestLog();
    String id = "01JREPLAY0000000000000000C";
    log.append(
        "response_head", id, TestLog.fields().put("offset_ms", headOffsetMs).put("status", 200));
    ObjectNode chunk = TestLog.fields().put("part", 0).put("encoding", "utf-8");
    chunk
        .putArray("pieces")
        .add(ExchangeTimelineTest.piece(0, "a"))
        .add(ExchangeTimelineTest.piece(100, "bc"))
        .add(ExchangeTimelineTest.piece(250, "def"));
    log.append("response_chunk", id, chunk);
    return ExchangeTimeline.ofRecords(log.records());
  }

  @Test
  void atSpeedZeroWritesEverythingWithoutWaiting() throws Exception {
    new Replayer(0, sleeper).replay(abc(0), out);

    assertThat(out.toString(UTF_8)).isEqualTo("abcdef");
    assertThat(sleeps).isEmpty();
  }

  @Test
  void atSpeedTwoWaitsHalfAsLong() throws Exception {
    new Replayer(2, sleeper).replay(abc(0), out);

    assertThat(sleeps).containsExactly(50L, 75L);
    assertThat(out.toString(UTF_8)).isEqualTo("abcdef");
  }

  @Test
  void atSpeedOneKeepsTheOriginalTimingAndWritesEachPieceBeforeTheNextWait() throws Exception {
    new Replayer(1, sleeper).replay(abc(0), out);

    assertThat(sleeps).containsExactly(100L, 150L);
    assertThat(writtenBeforeSleep).containsExactly("a", "abc");
  }

  @Test
  void atHalfSpeedWaitsTwiceAsLong() throws Exception {
    new Replayer(0.5, sleeper).replay(abc(0), out);

    assertThat(sleeps).containsExactly(200L, 300L);
  }

  @Test
  void waitsAreRoundedFromTheStartSoTheyDoNotDrift() throws Exception {
    // At speed 8 the pieces are due at 12.5 and 31.25 ms, rounded to 13 and 31: the second wait is
    // 18. Rounding each gap on its own (150 / 8 = 18.75) would wait 19 and drift.
    new Replayer(8, sleeper).replay(abc(0), out);

    assertThat(sleeps).containsExactly(13L, 18L);
  }

  @Test
  void theWaitStartsFromTheResponseHead() throws Exception {
    // A head sent 40 ms before the first piece (e.g., time to first token) is replayed too; this
    // exchange is synthetic, so the head is at -40 relative to the pieces' 0.
    new Replayer(1, sleeper).replay(abc(-40), out);

    assertThat(sleeps).containsExactly(40L, 100L, 150L);
    assertThat(writtenBeforeSleep).containsExactly("", "a", "abc");
  }

  @ParameterizedTest
  @ValueSource(doubles = {-1, Double.NaN, Double.POSITIVE_INFINITY})
  void refusesSpeedsThatAreNotAFactor(double speed) {
    assertThatThrownBy(() -> new Replayer(speed, sleeper))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("speed: " + speed + " (expected: 0 for no waiting, or a finite number > 0)");
  }

  @Test
  void findsAnExchangeInAnExportAmongOthers(@TempDir Path dir) throws IOException {
    TestLog log = TestLog.ofExchanges(2);
    ExchangeTimelineTest.exchange(log, ExchangeTimelineTest.ID);
    log.appendExchange("01JAFTER00000000000000000D");
    log.export(dir);

    ExchangeTimeline timeline = Replayer.findInExport(dir, ExchangeTimelineTest.ID);

    assertThat(timeline.exchangeId()).isEqualTo(ExchangeTimelineTest.ID);
    assertThat(timeline.records())
        .extracting(r -> r.get("seq").asLong())
        .containsExactly(10L, 11L, 12L, 13L, 14L, 15L, 16L);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(ExchangeTimelineTest.TEXT.getBytes(UTF_8));
    expected.writeBytes(ExchangeTimelineTest.BINARY);
    assertThat(timeline.body()).isEqualTo(expected.toByteArray());
  }

  @Test
  void theScanStopsAtTheExchangesLastRecord(@TempDir Path dir) throws IOException {
    TestLog log = new TestLog();
    ExchangeTimelineTest.exchange(log, ExchangeTimelineTest.ID);
    log.export(dir);
    Files.writeString(dir.resolve("records.jsonl"), "not a record\n", StandardOpenOption.APPEND);

    assertThat(Replayer.findInExport(dir, ExchangeTimelineTest.ID).outcome()).isPresent();
    assertThatThrownBy(() -> Replayer.findInExport(dir, "01JNOTTHERE00000000000000E"))
        .isInstanceOf(MalformedExportException.class)
        .hasMessageStartingWith("records.jsonl line 8 is not a JSON object");
  }

  @Test
  void anExchangeThatIsNotThereIsAnError(@TempDir Path dir) {
    TestLog.ofExchanges(2).export(dir);

    assertThatThrownBy(() -> Replayer.findInExport(dir, "01JNOTTHERE00000000000000E"))
        .isInstanceOf(NoSuchElementException.class)
        .hasMessage(
            "exchange 01JNOTTHERE00000000000000E is not in "
                + dir.resolve("records.jsonl")
                + " (10 records scanned; expected a record with that exchange_id)");
  }
}
