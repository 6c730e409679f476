package dev.jitgw.audit.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * A record to append: its type, the exchange it belongs to (or {@code null} for log-level records),
 * and its type-specific fields in the order they are to be written. The writer adds {@code seq},
 * {@code prev} and {@code time} in front (docs/audit.md).
 *
 * <p>The fields are encoded when the record is made, on the caller's thread: later changes to the
 * caller's node do not reach the log, and the single writer thread only puts {@code seq}, {@code
 * prev} and {@code time} in front of bytes it does not have to build.
 */
public final class AuditRecord {

  public static final String REQUEST = "request";
  public static final String REQUEST_BODY = "request_body";
  public static final String DECISION = "decision";
  public static final String APPROVAL = "approval";
  public static final String RESPONSE_HEAD = "response_head";
  public static final String RESPONSE_CHUNK = "response_chunk";
  public static final String MASKING = "masking";
  public static final String RESPONSE_END = "response_end";

  /** A request refused before the policy saw it (rate-limited sampling; see docs/audit.md). */
  public static final String REFUSAL = "refusal";

  private static final List<String> RESERVED =
      List.of("seq", "prev", "time", "type", "exchange_id");

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory JSON = MAPPER.getFactory();

  private final String type;
  private final String exchangeId;
  private final String subject;

  /**
   * {@code {"type":..,"exchange_id":..,<fields>}}: the record without the writer's three leading
   * fields, as Jackson writes it.
   */
  private final byte[] tail;

  public AuditRecord(String type, String exchangeId, ObjectNode payload) {
    this(type, exchangeId, subjectOf(type, payload), encode(type, exchangeId, payload));
  }

  private AuditRecord(String type, String exchangeId, String subject, byte[] tail) {
    this.type = type;
    this.exchangeId = exchangeId;
    this.subject = subject;
    this.tail = tail;
  }

  /** Writes a record's fields, in order, with a generator (no tree is built). */
  @FunctionalInterface
  public interface FieldWriter {
    void write(JsonGenerator out) throws IOException;
  }

  /**
   * A record whose fields {@code fields} writes as a generator: the same bytes as the tree of the
   * same fields in the same order, without building the tree (the data plane's records). The writer
   * must not write the reserved fields ({@code seq}, {@code prev}, {@code time}, {@code type},
   * {@code exchange_id}).
   *
   * @param subject the subject a {@code request} record is indexed under, or {@code null}
   */
  public static AuditRecord written(
      String type, String exchangeId, String subject, FieldWriter fields) {
    requireNonNull(type, "type");
    requireNonNull(fields, "fields");
    checkExchangeId(exchangeId);
    Scratch bytes = SCRATCH.get();
    if (bytes.inUse) {
      bytes = new Scratch(); // a record written while writing another
    }
    bytes.inUse = true;
    try {
      try (JsonGenerator out = JSON.createGenerator(bytes)) {
        out.writeStartObject();
        out.writeStringField("type", type);
        if (exchangeId != null) {
          out.writeStringField("exchange_id", exchangeId);
        }
        fields.write(out);
        out.writeEndObject();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new AuditRecord(
          type, exchangeId, REQUEST.equals(type) ? subject : null, bytes.toByteArray());
    } finally {
      bytes.release();
    }
  }

  /**
   * Where {@link #written} records are generated before their bytes are copied out at their exact
   * size, one per thread: growing a fresh buffer for each record made about twice its size in
   * garbage.
   */
  private static final class Scratch extends OutputStream {
    /** A larger array is not kept once its record is done. */
    private static final int KEPT_BYTES = 256 * 1024;

    private byte[] bytes = new byte[4096];
    private int length;
    boolean inUse;

    @Override
    public void write(int b) {
      reserve(1);
      bytes[length++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int offset, int count) {
      reserve(count);
      System.arraycopy(b, offset, bytes, length, count);
      length += count;
    }

    private void reserve(int more) {
      if (length + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(length + more, 2 * bytes.length));
      }
    }

    byte[] toByteArray() {
      return Arrays.copyOf(bytes, length);
    }

    void release() {
      length = 0;
      inUse = false;
      if (bytes.length > KEPT_BYTES) {
        bytes = new byte[4096];
      }
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static String subjectOf(String type, ObjectNode payload) {
    requireNonNull(payload, "payload");
    return REQUEST.equals(type) ? payload.path("identity").path("sub").textValue() : null;
  }

  private static byte[] encode(String type, String exchangeId, ObjectNode payload) {
    requireNonNull(type, "type");
    requireNonNull(payload, "payload");
    for (String reserved : RESERVED) {
      if (payload.has(reserved)) {
        throw new IllegalArgumentException("the writer sets " + reserved + ", not the payload");
      }
    }
    checkExchangeId(exchangeId);
    ObjectNode head = JsonNodeFactory.instance.objectNode();
    head.put("type", type);
    if (exchangeId != null) {
      head.put("exchange_id", exchangeId);
    }
    // The payload's own nodes, not copies: they are written out here and not kept.
    head.setAll(payload);
    try {
      return MAPPER.writeValueAsBytes(head);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void checkExchangeId(String exchangeId) {
    if (exchangeId == null) {
      return;
    }
    for (int i = 0; i < exchangeId.length(); i++) {
      char c = exchangeId.charAt(i);
      if (c <= 0x20 || c >= 0x7F) {
        throw new IllegalArgumentException("exchange id must be printable ASCII: " + exchangeId);
      }
    }
  }

  /** A fresh, empty payload to fill in. */
  public static ObjectNode fields() {
    return JsonNodeFactory.instance.objectNode();
  }

  public String type() {
    return type;
  }

  /** The exchange this record belongs to, or {@code null} for a log-level record. */
  public String exchangeId() {
    return exchangeId;
  }

  /** The subject a {@code request} record is indexed under, or {@code null}. */
  String subject() {
    return subject;
  }

  /**
   * Whether the record stays under the log's cap once the writer has put {@code seq}, {@code prev}
   * and {@code time} in front (a record that does not is refused by {@link AuditLog#append}).
   */
  public boolean fitsTheLog() {
    return tail.length + WRITER_FIELDS_BYTES <= RecordEncoder.MAX_RECORD_BYTES;
  }

  /** At most what the writer adds: seq (19 digits), prev (64 hex), time (24 chars), punctuation. */
  private static final int WRITER_FIELDS_BYTES = 160;

  /** The encoded record from its {@code type} on, opening brace included (not to be modified). */
  byte[] tail() {
    return tail;
  }

  @Override
  public String toString() {
    return "AuditRecord[" + type + ", " + exchangeId + ']';
  }
}
