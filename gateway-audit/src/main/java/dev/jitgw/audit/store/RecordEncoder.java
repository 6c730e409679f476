package dev.jitgw.audit.store;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

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

  static byte[] encode(long seq, byte[] prevLeafHash, Instant time, AuditRecord record) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator json = MAPPER.getFactory().createGenerator(out)) {
      json.writeStartObject();
      json.writeNumberField("seq", seq);
      if (prevLeafHash != null) {
        json.writeStringField("prev", HexFormat.of().formatHex(prevLeafHash));
      }
      json.writeStringField("time", TIME.format(time));
      json.writeStringField("type", record.type());
      if (record.exchangeId() != null) {
        json.writeStringField("exchange_id", record.exchangeId());
      }
      Iterator<Map.Entry<String, JsonNode>> fields = record.payload().fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        json.writeFieldName(field.getKey());
        MAPPER.writeTree(json, field.getValue());
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
