package dev.jitgw.audit.replay;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One exchange as the audit log recorded it (docs/audit.md §Records), ordered by seq: the {@code
 * request} and {@code decision} records, the response head, every piece the caller received with
 * its time offset, and how the response ended. The body the caller received is the concatenation of
 * the pieces, each decoded with its record's {@code encoding}.
 *
 * <p>Immutable; JSON records are handed out as copies.
 */
public final class ExchangeTimeline {

  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** A response header as recorded: lower-case name, one value per entry. */
  public record Header(String name, String value) {
    public Header {
      requireNonNull(name, "name");
      requireNonNull(value, "value");
    }
  }

  /**
   * The {@code response_head} record.
   *
   * @param offsetMs when the head was sent, in ms since the exchange started
   * @param status the HTTP status sent to the caller
   * @param headers the headers sent to the caller, in record order
   */
  public record ResponseHead(long offsetMs, int status, List<Header> headers) {
    public ResponseHead {
      headers = List.copyOf(requireNonNull(headers, "headers"));
    }
  }

  /**
   * What one write to the caller carried.
   *
   * @param offsetMs when, in ms since the exchange started
   * @param bytes the bytes written, decoded; copied in and out
   */
  public record Piece(long offsetMs, byte[] bytes) {
    public Piece {
      bytes = requireNonNull(bytes, "bytes").clone();
    }

    @Override
    public byte[] bytes() {
      return bytes.clone();
    }

    /** The number of bytes, without a copy. */
    public int length() {
      return bytes.length;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Piece that
          && offsetMs == that.offsetMs
          && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(offsetMs) * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return "Piece[offsetMs=" + offsetMs + ", bytes=" + bytes.length + "]";
    }
  }

  /**
   * The {@code response_end} record. Keys the gateway could not know (an exchange closed as {@code
   * aborted} after a crash) are empty.
   *
   * @param outcome {@code complete}, {@code aborted} or {@code error}
   * @param status the HTTP status the caller got
   * @param durationMs how long the exchange took
   * @param bytes the body bytes the caller received
   * @param error why, for {@code aborted} and {@code error}
   * @param usage the upstream's token counts, when it reported them (a copy)
   */
  public record Outcome(
      String outcome,
      OptionalInt status,
      OptionalLong durationMs,
      OptionalLong bytes,
      Optional<String> error,
      Optional<JsonNode> usage) {
    public Outcome {
      requireNonNull(outcome, "outcome");
      requireNonNull(status, "status");
      requireNonNull(durationMs, "durationMs");
      requireNonNull(bytes, "bytes");
      requireNonNull(error, "error");
      usage = requireNonNull(usage, "usage").map(JsonNode::deepCopy);
    }

    @Override
    public Optional<JsonNode> usage() {
      return usage.map(JsonNode::deepCopy);
    }
  }

  private final String exchangeId;
  private final List<JsonNode> records;
  private final JsonNode request;
  private final JsonNode decision;
  private final ResponseHead head;
  private final List<Piece> pieces;
  private final Outcome outcome;

  private ExchangeTimeline(
      String exchangeId,
      List<JsonNode> records,
      JsonNode request,
      JsonNode decision,
      ResponseHead head,
      List<Piece> pieces,
      Outcome outcome) {
    this.exchangeId = exchangeId;
    this.records = records;
    this.request = request;
    this.decision = decision;
    this.head = head;
    this.pieces = pieces;
    this.outcome = outcome;
  }

  /**
   * The timeline of the given record lines, in any order.
   *
   * @throws IllegalArgumentException when a record is not a JSON object, or as {@link #of}
   */
  public static ExchangeTimeline ofRecords(List<byte[]> records) {
    requireNonNull(records, "records");
    List<JsonNode> parsed = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      byte[] record = requireNonNull(records.get(i), "records[" + i + "]");
      try {
        parsed.add(JSON.readTree(record));
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(
            "records[" + i + "] is not JSON: " + e.getOriginalMessage(), e);
      } catch (IOException e) {
        throw new IllegalStateException("reading bytes in memory cannot fail", e);
      }
    }
    return of(parsed);
  }

  /**
   * The timeline of the given parsed records, in any order: all of one exchange, with distinct
   * seqs, at most one {@code request}, {@code decision}, {@code response_head} and {@code
   * response_end}, and {@code response_chunk} parts numbered from 0 in seq order.
   *
   * @throws IllegalArgumentException saying which record breaks which rule
   */
  public static ExchangeTimeline of(List<JsonNode> records) {
    requireNonNull(records, "records");
    if (records.isEmpty()) {
      throw new IllegalArgumentException("records: [] (expected: the records of one exchange)");
    }
    List<JsonNode> sorted = new ArrayList<>(records.size());
    for (JsonNode record : records) {
      requireNonNull(record, "record");
      JsonNode seq = record.path("seq");
      if (!record.isObject() || !seq.isIntegralNumber() || !seq.canConvertToLong()) {
        throw new IllegalArgumentException(
            "record with seq "
                + seq
                + " (expected: a JSON object with an integer seq, as every record has)");
      }
      sorted.add(record.deepCopy());
    }
    sorted.sort(Comparator.comparingLong(record -> record.get("seq").asLong()));

    String exchangeId = text(sorted.get(0), "exchange_id");
    JsonNode request = null;
    JsonNode decision = null;
    ResponseHead head = null;
    List<Piece> pieces = new ArrayList<>();
    Outcome outcome = null;
    long nextPart = 0;
    long seqBefore = Long.MIN_VALUE;
    for (JsonNode record : sorted) {
      long seq = record.get("seq").asLong();
      if (seq == seqBefore) {
        throw new IllegalArgumentException("two records have seq " + seq + " (expected: distinct)");
      }
      seqBefore = seq;
      String id = text(record, "exchange_id");
      if (!id.equals(exchangeId)) {
        throw new IllegalArgumentException(
            "record seq "
                + seq
                + " has exchange_id "
                + id
                + " (expected: "
                + exchangeId
                + ", one exchange)");
      }
      switch (text(record, "type")) {
        case "request" -> request = once(request, record, "request");
        case "decision" -> decision = once(decision, record, "decision");
        case "response_head" -> head = once(head, readHead(record), "response_head");
        case "response_chunk" -> {
          long part = integer(record, record, "part");
          if (part != nextPart) {
            throw new IllegalArgumentException(
                "record seq "
                    + seq
                    + " is response_chunk part "
                    + part
                    + " (expected: part "
                    + nextPart
                    + "; a part is missing or out of order)");
          }
          nextPart++;
          readPieces(record, pieces);
        }
        case "response_end" -> outcome = once(outcome, readOutcome(record), "response_end");
        default -> {
          // request_body, masking and types added later carry nothing the timeline replays.
        }
      }
    }
    return new ExchangeTimeline(
        exchangeId, List.copyOf(sorted), request, decision, head, List.copyOf(pieces), outcome);
  }

  public String exchangeId() {
    return exchangeId;
  }

  /** Every record of the exchange, ordered by seq; copies. */
  public List<JsonNode> records() {
    List<JsonNode> copies = new ArrayList<>(records.size());
    for (JsonNode record : records) {
      copies.add(record.deepCopy());
    }
    return copies;
  }

  /** The {@code request} record (a copy). */
  public Optional<JsonNode> request() {
    return Optional.ofNullable(request).map(JsonNode::deepCopy);
  }

  /** The {@code decision} record (a copy). */
  public Optional<JsonNode> decision() {
    return Optional.ofNullable(decision).map(JsonNode::deepCopy);
  }

  /** The response head, when the request was forwarded or answered. */
  public Optional<ResponseHead> head() {
    return Optional.ofNullable(head);
  }

  /** What each write to the caller carried, in order. */
  public List<Piece> pieces() {
    return pieces;
  }

  /** How the response ended, when it did. */
  public Optional<Outcome> outcome() {
    return Optional.ofNullable(outcome);
  }

  /** The body the caller received: every piece, concatenated. */
  public byte[] body() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Piece piece : pieces) {
      out.writeBytes(piece.bytes);
    }
    return out.toByteArray();
  }

  private static <T> T once(T existing, T value, String type) {
    if (existing != null) {
      throw new IllegalArgumentException(
          "two " + type + " records in one exchange (expected: at most one)");
    }
    return value;
  }

  private static ResponseHead readHead(JsonNode record) {
    long status = integer(record, record, "status");
    if (status < 100 || status > 999) {
      throw new IllegalArgumentException(
          "record seq " + record.get("seq") + " has status " + status + " (expected: 100-999)");
    }
    return new ResponseHead(
        integer(record, record, "offset_ms"),
        (int) status,
        readHeaders(record, record.path("headers")));
  }

  /**
   * docs/audit.md does not fix the shape of {@code headers}, so the shapes a JSON writer of HTTP
   * headers produces are all read: an object of name to value or to a list of values, or a list of
   * {@code [name, value]} pairs or {@code {"name", "value"}} objects.
   */
  private static List<Header> readHeaders(JsonNode record, JsonNode headers) {
    List<Header> out = new ArrayList<>();
    if (headers.isMissingNode() || headers.isNull()) {
      return out;
    }
    if (headers.isObject()) {
      for (Map.Entry<String, JsonNode> field : headers.properties()) {
        if (field.getValue().isArray()) {
          for (JsonNode value : field.getValue()) {
            out.add(new Header(field.getKey(), headerValue(record, value)));
          }
        } else {
          out.add(new Header(field.getKey(), headerValue(record, field.getValue())));
        }
      }
      return out;
    }
    if (headers.isArray()) {
      for (JsonNode header : headers) {
        if (header.isArray() && header.size() == 2) {
          out.add(
              new Header(headerValue(record, header.get(0)), headerValue(record, header.get(1))));
        } else if (header.isObject()) {
          out.add(
              new Header(
                  headerValue(record, header.path("name")),
                  headerValue(record, header.path("value"))));
        } else {
          throw badHeaders(record);
        }
      }
      return out;
    }
    throw badHeaders(record);
  }

  private static String headerValue(JsonNode record, JsonNode value) {
    if (!value.isTextual()) {
      throw badHeaders(record);
    }
    return value.asText();
  }

  private static IllegalArgumentException badHeaders(JsonNode record) {
    return new IllegalArgumentException(
        "record seq "
            + record.path("seq").asLong()
            + " has headers "
            + record.get("headers")
            + " (expected: an object of names to values, or a list of [name, value] pairs)");
  }

  private static void readPieces(JsonNode record, List<Piece> pieces) {
    String encoding = text(record, "encoding");
    JsonNode list = record.path("pieces");
    if (!list.isArray()) {
      throw new IllegalArgumentException(
          "record seq " + record.get("seq") + " has no pieces list (expected: pieces: [...])");
    }
    for (JsonNode piece : list) {
      long offset = integer(record, piece, "offset_ms");
      JsonNode data = piece.path("data");
      if (!data.isTextual()) {
        throw new IllegalArgumentException(
            "record seq " + record.get("seq") + " has a piece without data string: " + piece);
      }
      pieces.add(new Piece(offset, decode(record, encoding, data.asText())));
    }
  }

  private static byte[] decode(JsonNode record, String encoding, String data) {
    switch (encoding) {
      case "utf-8":
        return data.getBytes(UTF_8);
      case "base64":
        try {
          return Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "record seq " + record.get("seq") + " has a piece that is not base64: " + data, e);
        }
      default:
        throw new IllegalArgumentException(
            "record seq "
                + record.get("seq")
                + " has encoding "
                + encoding
                + " (expected: utf-8 or base64)");
    }
  }

  private static Outcome readOutcome(JsonNode record) {
    JsonNode status = record.path("status");
    JsonNode duration = record.path("duration_ms");
    JsonNode bytes = record.path("bytes");
    JsonNode error = record.path("error");
    JsonNode usage = record.path("usage");
    return new Outcome(
        text(record, "outcome"),
        status.canConvertToInt() && status.isIntegralNumber()
            ? OptionalInt.of(status.asInt())
            : OptionalInt.empty(),
        duration.isIntegralNumber() ? OptionalLong.of(duration.asLong()) : OptionalLong.empty(),
        bytes.isIntegralNumber() ? OptionalLong.of(bytes.asLong()) : OptionalLong.empty(),
        error.isTextual() ? Optional.of(error.asText()) : Optional.empty(),
        usage.isMissingNode() || usage.isNull() ? Optional.empty() : Optional.of(usage));
  }

  private static String text(JsonNode record, String key) {
    JsonNode value = record.path(key);
    if (!value.isTextual()) {
      throw new IllegalArgumentException(
          "record seq "
              + record.path("seq").asLong()
              + " has "
              + key
              + " "
              + (value.isMissingNode() ? "missing" : value.toString())
              + " (expected: a string)");
    }
    return value.asText();
  }

  /** An integer of {@code node}, which is {@code record} or a piece of it. */
  private static long integer(JsonNode record, JsonNode node, String key) {
    JsonNode value = node.path(key);
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new IllegalArgumentException(
          "record seq "
              + record.get("seq")
              + " has "
              + key
              + " "
              + (value.isMissingNode() ? "missing" : value.toString())
              + " (expected: an integer)");
    }
    return value.asLong();
  }

  @Override
  public String toString() {
    return "ExchangeTimeline["
        + exchangeId
        + ", records="
        + records.size()
        + ", pieces="
        + pieces.size()
        + (outcome == null ? "" : ", outcome=" + outcome.outcome())
        + "]";
  }
}
