package dev.jitgw.audit.store;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * Writes a record's bytes: one line of UTF-8 JSON, {@code seq}, {@code prev}, {@code time}, {@code
 * type} and {@code exchange_id} first, then the payload's fields in their order (docs/audit.md).
 * Everything from {@code type} on was encoded when the {@link AuditRecord} was made; this puts the
 * three fields only the writer knows in front, as Jackson would write them (plain ASCII: a number,
 * hex and a formatted time need no escaping).
 */
final class RecordEncoder {

  /** No record is larger than this (contract: large bodies are split into parts). */
  static final int MAX_RECORD_BYTES = 64 * 1024;

  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private RecordEncoder() {}

  /**
   * @param time the record's time, already formatted with {@link #TIME} (one batch shares it)
   */
  static byte[] encode(long seq, byte[] prevLeafHash, String time, AuditRecord record) {
    StringBuilder head = new StringBuilder(128).append("{\"seq\":").append(seq);
    if (prevLeafHash != null) {
      // formatHex to a String: the Appendable overload goes through append(char) byte by byte.
      head.append(",\"prev\":\"").append(HexFormat.of().formatHex(prevLeafHash)).append('"');
    }
    head.append(",\"time\":\"").append(time).append("\",");
    byte[] tail = record.tail();
    byte[] bytes = new byte[head.length() + tail.length - 1];
    // One byte per char: the head is ASCII.
    byte[] headBytes = head.toString().getBytes(US_ASCII);
    System.arraycopy(headBytes, 0, bytes, 0, headBytes.length);
    // The tail without its opening brace.
    System.arraycopy(tail, 1, bytes, headBytes.length, tail.length - 1);
    return bytes;
  }
}
