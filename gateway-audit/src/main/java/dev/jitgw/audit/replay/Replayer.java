package dev.jitgw.audit.replay;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.jitgw.audit.export.ExportDirectory;
import dev.jitgw.audit.export.MalformedExportException;
import dev.jitgw.audit.export.RecordLines;
import dev.jitgw.audit.replay.ExchangeTimeline.Piece;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Writes the body of an exchange as the caller received it, piece by piece, waiting between pieces
 * as the original response did, scaled by a speed factor (contract §7: {@code bin/jitgw replay
 * --speed N}): 1 is the original timing, 2 twice as fast, 0 no waiting at all. The waiting starts
 * from the response head (or from the first piece when there is none), so the time to the first
 * byte of the body is replayed too.
 *
 * <p>Waiting goes through a {@link Sleeper}, so tests replay without waiting. Each piece is flushed
 * before the next wait, so a terminal shows it when it is due.
 */
public final class Replayer {

  /** Waits; {@link Thread#sleep(long)} in real use. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(long millis) throws InterruptedException;
  }

  private static final JsonFactory JSON = new JsonFactory();

  private final double speed;
  private final Sleeper sleeper;

  /**
   * @param speed how many times faster than the original to replay: 0 for no waiting, else a finite
   *     number above 0
   * @param sleeper waits between pieces
   */
  public Replayer(double speed, Sleeper sleeper) {
    if (!(speed >= 0) || Double.isInfinite(speed)) {
      throw new IllegalArgumentException(
          "speed: " + speed + " (expected: 0 for no waiting, or a finite number > 0)");
    }
    this.speed = speed;
    this.sleeper = requireNonNull(sleeper, "sleeper");
  }

  /** A replayer that really waits. */
  public static Replayer atSpeed(double speed) {
    return new Replayer(speed, Thread::sleep);
  }

  public double speed() {
    return speed;
  }

  /**
   * Writes every piece of {@code timeline} to {@code out} (which is not closed), waiting before
   * each until its offset, divided by the speed, is due.
   *
   * @throws InterruptedException when the wait is interrupted; what was due is written
   */
  public void replay(ExchangeTimeline timeline, OutputStream out)
      throws IOException, InterruptedException {
    requireNonNull(timeline, "timeline");
    requireNonNull(out, "out");
    List<Piece> pieces = timeline.pieces();
    if (pieces.isEmpty()) {
      return;
    }
    long start =
        timeline
            .head()
            .map(ExchangeTimeline.ResponseHead::offsetMs)
            .orElse(pieces.get(0).offsetMs());
    // Waits are computed from the start, not piece to piece, so rounding does not add up.
    long waited = 0;
    for (Piece piece : pieces) {
      if (speed > 0) {
        long due = Math.round((piece.offsetMs() - start) / speed);
        if (due > waited) {
          sleeper.sleep(due - waited);
          waited = due;
        }
      }
      out.write(piece.bytes());
      out.flush();
    }
  }

  /**
   * Finds the records of {@code exchangeId} in the export in {@code directory}, streaming its
   * {@code records.jsonl} (only that exchange's records are kept), and assembles its timeline. The
   * scan stops at the exchange's {@code response_end}, its last record. Nothing is verified here:
   * verify the export first ({@code bin/jitgw audit verify}).
   *
   * @throws NoSuchElementException when no record has that {@code exchange_id}
   * @throws MalformedExportException when a line is not a JSON object, or the last one is cut
   * @throws IllegalArgumentException when the exchange's records do not make a timeline ({@link
   *     ExchangeTimeline#of})
   */
  public static ExchangeTimeline findInExport(Path directory, String exchangeId)
      throws IOException {
    requireNonNull(directory, "directory");
    requireNonNull(exchangeId, "exchangeId");
    List<byte[]> found = new ArrayList<>();
    try (RecordLines lines = ExportDirectory.at(directory).openRecords()) {
      byte[] record;
      while ((record = lines.next()) != null) {
        Identity identity = identify(record, lines.lineNumber());
        if (exchangeId.equals(identity.exchangeId())) {
          found.add(record);
          if ("response_end".equals(identity.type())) {
            break;
          }
        }
      }
      if (found.isEmpty()) {
        throw new NoSuchElementException(
            "exchange "
                + exchangeId
                + " is not in "
                + directory.resolve(ExportDirectory.RECORDS)
                + " ("
                + lines.lineNumber()
                + " records scanned; expected a record with that exchange_id)");
      }
    }
    return ExchangeTimeline.ofRecords(found);
  }

  /** The {@code type} and {@code exchange_id} of a record; null when absent. */
  private record Identity(String type, String exchangeId) {}

  /**
   * Reads the top-level {@code type} and {@code exchange_id}, which come fourth and fifth, so most
   * records are parsed no further than their first few keys.
   */
  private static Identity identify(byte[] record, long line) throws IOException {
    String type = null;
    String exchangeId = null;
    try (JsonParser parser = JSON.createParser(record)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw notAnObject(line, "");
      }
      while ((type == null || exchangeId == null) && parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if (value == JsonToken.VALUE_STRING && name.equals("type")) {
          type = parser.getText();
        } else if (value == JsonToken.VALUE_STRING && name.equals("exchange_id")) {
          exchangeId = parser.getText();
        } else {
          parser.skipChildren();
        }
      }
    } catch (JsonProcessingException e) {
      throw notAnObject(line, ": " + e.getOriginalMessage());
    }
    return new Identity(type, exchangeId);
  }

  private static MalformedExportException notAnObject(long line, String detail) {
    return new MalformedExportException(
        ExportDirectory.RECORDS
            + " line "
            + line
            + " is not a JSON object"
            + detail
            + " (expected a record; verify the export)",
        line);
  }

  @Override
  public String toString() {
    return "Replayer[speed=" + speed + "]";
  }
}
