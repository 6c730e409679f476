package dev.jitgw.audit.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * Writes a record's bytes: one line of UTF-8 JSON, {@code seq}, {@code prev}, {@code time}, {@code
 * type} and {@code exchange_id} first, then the payload's fields in their order (docs/audit.md).
 */
final class RecordEncoder {

  /** No record is larger than this (contract: large bodies are split into parts). */
  static final int MAX_RECORD_BYTES = 64 * 1024;

  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private RecordEncoder() {}

  /**
   * @param time the record's time, already formatted with {@link #TIME} (one batch shares it)
   */
  static byte[] encode(long seq, byte[] prevLeafHash, String time, AuditRecord record) {
    ObjectNode full = MAPPER.createObjectNode();
    full.put("seq", seq);
    if (prevLeafHash != null) {
      full.put("prev", HexFormat.of().formatHex(prevLeafHash));
    }
    full.put("time", time);
    full.put("type", record.type());
    if (record.exchangeId() != null) {
      full.put("exchange_id", record.exchangeId());
    }
    // The payload's own nodes, not copies: the record is immutable once made.
    full.setAll(record.payload());
    try {
      return MAPPER.writeValueAsBytes(full);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
