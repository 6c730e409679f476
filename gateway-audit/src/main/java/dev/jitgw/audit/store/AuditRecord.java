package dev.jitgw.audit.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A record to append: its type, the exchange it belongs to (or {@code null} for log-level records),
 * and its type-specific fields in the order they are to be written. The writer adds {@code seq},
 * {@code prev} and {@code time} in front (docs/audit.md).
 *
 * <p>The payload is copied when the record is made; later changes to the caller's node do not reach
 * the log.
 */
public record AuditRecord(String type, String exchangeId, ObjectNode payload) {

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

  private static final java.util.List<String> RESERVED =
      java.util.List.of("seq", "prev", "time", "type", "exchange_id");

  public AuditRecord {
    requireNonNull(type, "type");
    payload = requireNonNull(payload, "payload").deepCopy();
    for (String reserved : RESERVED) {
      if (payload.has(reserved)) {
        throw new IllegalArgumentException("the writer sets " + reserved + ", not the payload");
      }
    }
    if (exchangeId != null && !exchangeId.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
      throw new IllegalArgumentException("exchange id must be printable ASCII: " + exchangeId);
    }
  }

  /** A fresh, empty payload to fill in. */
  public static ObjectNode fields() {
    return JsonNodeFactory.instance.objectNode();
  }

  /** The subject a {@code request} record is indexed under, or {@code null}. */
  String subject() {
    if (!REQUEST.equals(type)) {
      return null;
    }
    var sub = payload.path("identity").path("sub");
    return sub.isTextual() ? sub.asText() : null;
  }

  @Override
  public String toString() {
    return "AuditRecord[" + type + ", " + exchangeId + ']';
  }
}
