package dev.jitgw.audit.export;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.checkpoint.Checkpoint;
import dev.jitgw.audit.checkpoint.NoteSigner;
import dev.jitgw.audit.checkpoint.SignedCheckpoint;
import dev.jitgw.audit.tree.CompactRange;
import dev.jitgw.audit.tree.MerkleHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A log written the way docs/audit.md §Records describes, in memory, for tests: records with {@code
 * seq}, {@code prev} chaining, {@code time}, {@code type} and {@code exchange_id} first, serialized
 * compactly, and checkpoints signed by a fresh key named {@value #ORIGIN}.
 */
public final class TestLog {

  public static final String ORIGIN = "test.example/audit";

  public static final ObjectMapper JSON = new ObjectMapper();

  private static final Instant START = Instant.parse("2025-01-02T03:04:05.000Z");
  private static final DateTimeFormatter RFC_3339_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final NoteSigner signer;
  private final List<byte[]> records = new ArrayList<>();

  public TestLog() {
    this(NoteSigner.generate(ORIGIN));
  }

  public TestLog(NoteSigner signer) {
    this.signer = signer;
  }

  /** A log of {@code count} exchanges of five records each: seq 0 to 5 * count - 1. */
  public static TestLog ofExchanges(int count) {
    TestLog log = new TestLog();
    for (int i = 0; i < count; i++) {
      log.appendExchange(String.format("01JEXCHANGE%015d", i));
    }
    return log;
  }

  public NoteSigner signer() {
    return signer;
  }

  /** An empty object for a record's own keys, which follow the five common ones. */
  public static ObjectNode fields() {
    return JSON.createObjectNode();
  }

  /** Appends a record: seq, prev (after seq 0), time, type, exchange_id (when given), fields. */
  public byte[] append(String type, String exchangeId, ObjectNode fields) {
    long seq = records.size();
    ObjectNode record = JSON.createObjectNode().put("seq", seq);
    if (seq > 0) {
      record.put("prev", HexFormat.of().formatHex(MerkleHash.leafHash(records.get((int) seq - 1))));
    }
    record.put("time", RFC_3339_MILLIS.format(START.plusMillis(seq * 7)));
    record.put("type", type);
    if (exchangeId != null) {
      record.put("exchange_id", exchangeId);
    }
    record.setAll(fields);
    try {
      byte[] bytes = JSON.writeValueAsBytes(record);
      records.add(bytes);
      return bytes;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** request, decision, response_head, response_chunk and response_end of one exchange. */
  public void appendExchange(String exchangeId) {
    ObjectNode request = fields().put("method", "POST").put("path", "/v1/messages");
    request.putObject("identity").put("sub", "alice").put("iss", "https://idp.example");
    request.putObject("headers").put("content-type", "application/json");
    request
        .put("body_size", 2)
        .put("body_sha256", "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        .put("body_encoding", "utf-8")
        .put("body_parts", 0);
    append("request", exchangeId, request);
    append(
        "decision",
        exchangeId,
        fields().put("decision", "allow").put("rule", "r1").put("policy_version", "v1"));
    ObjectNode head = fields().put("offset_ms", 12).put("status", 200);
    head.putObject("headers").put("content-type", "text/event-stream");
    append("response_head", exchangeId, head);
    ObjectNode chunk = fields().put("part", 0).put("encoding", "utf-8");
    chunk.putArray("pieces").addObject().put("offset_ms", 15).put("data", "event: ping\n\n");
    append("response_chunk", exchangeId, chunk);
    append(
        "response_end",
        exchangeId,
        fields()
            .put("outcome", "complete")
            .put("status", 200)
            .put("duration_ms", 20)
            .put("bytes", 13));
  }

  /** The records, seq 0 first; copies. */
  public List<byte[]> records() {
    List<byte[]> copies = new ArrayList<>(records.size());
    records.forEach(record -> copies.add(record.clone()));
    return copies;
  }

  public int size() {
    return records.size();
  }

  /** The compact range of the first {@code size} records. */
  public CompactRange range(long size) {
    CompactRange range = CompactRange.empty();
    for (int i = 0; i < size; i++) {
      range.append(MerkleHash.leafHash(records.get(i)));
    }
    return range;
  }

  /** The root of the tree of the first {@code size} records. */
  public byte[] root(long size) {
    return range(size).root();
  }

  /** The checkpoint of the first {@code size} records, signed by this log's key. */
  public String checkpoint(long size) {
    return SignedCheckpoint.sign(new Checkpoint(ORIGIN, size, root(size)), signer);
  }

  /** Exports records {@code from} to {@code size - 1}, with the checkpoint of size {@code size}. */
  public void export(Path directory, long from, long size) {
    try {
      ExportDirectory.write(
          directory,
          records.subList((int) from, (int) size).iterator(),
          checkpoint(size),
          signer.verifierKey(),
          from == 0 ? Optional.empty() : Optional.of(ExportPrefix.of(range(from))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Exports every record. */
  public void export(Path directory) {
    export(directory, 0, records.size());
  }

  /** The record lines of an export as text, for tests that tamper with them. */
  public static String utf8(byte[] bytes) {
    return new String(bytes, UTF_8);
  }
}
