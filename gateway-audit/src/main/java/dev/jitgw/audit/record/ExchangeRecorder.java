package dev.jitgw.audit.record;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.store.AuditLog;
import dev.jitgw.audit.store.AuditRecord;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records one exchange: its request (with the body in parts) and decision, the response head, what
 * the caller received in batched pieces with their time offsets, and how it ended.
 *
 * <p>Not thread-safe: one exchange's events come from its connection's event loop. Only {@link
 * #request} is awaited by the caller (nothing goes upstream before it is durable); later records
 * are appended in order without waiting, and a failure among them is reported by {@link #failed()}
 * so the data plane can end the response rather than send what the log lacks. They are appended
 * together where they can be: the response head and the masking counts go with the next chunk
 * record or the end, so an exchange costs the single audit writer two submissions, not five.
 */
public final class ExchangeRecorder {

  private static final Logger log = LoggerFactory.getLogger(ExchangeRecorder.class);

  /** Raw bytes per body part / piece slice; their record stays well under the 64 KiB cap. */
  static final int PART_BYTES = 32 * 1024;

  /**
   * The request record's shares, in bytes as written (escaped UTF-8), for its headers, the
   * identity's groups, the path, each of {@code sub}, {@code iss} and {@code purpose}, the model
   * and the method, so that it stays under 64 KiB, with a body of {@link #MAX_INLINE_BODY_BYTES},
   * whatever the request holds.
   */
  static final int MAX_HEADER_BYTES = 24 * 1024;

  static final int MAX_GROUP_BYTES = 8 * 1024;
  static final int MAX_PATH_BYTES = 16 * 1024;
  static final int MAX_IDENTITY_FIELD_BYTES = 1024;
  static final int MAX_MODEL_BYTES = 256;
  static final int MAX_METHOD_BYTES = 64;

  /**
   * A body whose encoded form is at most this long is carried in the {@code request} record as
   * {@code body} when the record still fits its cap with it; otherwise it follows as {@code
   * request_body} parts.
   */
  static final int MAX_INLINE_BODY_BYTES = 8 * 1024;

  /** What a piece costs in its record beyond its data: {@code {"offset_ms":N,"data":""},}. */
  private static final int PIECE_OVERHEAD = 48;

  /** A chunk record holds pieces of at most this many bytes together... */
  static final int CHUNK_BATCH_BYTES = 16 * 1024;

  /** ...or when a piece arrives this long after the batch's first one. */
  static final long CHUNK_BATCH_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final AuditLog auditLog;
  private final String exchangeId;
  private final long startNanos;

  private final List<Piece> batch = new ArrayList<>();

  /** Records made but not yet appended; they go with the next chunk record or the end. */
  private final List<AuditRecord> pending = new ArrayList<>();

  private int batchBytes;
  private long batchStartNanos;
  private byte[] carry = new byte[0];
  private long carryOffsetMillis;
  private int chunkPart;
  private long receivedBytes;
  private boolean recorded;
  private volatile Throwable requestFailure;
  private volatile Throwable failure;

  private record Piece(long offsetMillis, byte[] data) {}

  public ExchangeRecorder(AuditLog auditLog, String exchangeId, long startNanos) {
    this.auditLog = requireNonNull(auditLog, "auditLog");
    this.exchangeId = requireNonNull(exchangeId, "exchangeId");
    this.startNanos = startNanos;
  }

  /**
   * Appends the {@code request} record (with the body when it is small), its body parts and — when
   * the policy has decided — the {@code decision}, atomically; the future completes when they are
   * durable.
   */
  public CompletableFuture<Long> request(
      Identity identity,
      String method,
      String uri,
      Map<String, String> headers,
      byte[] body,
      RequestSummary summary,
      Decision decision,
      String policyVersion) {
    List<AuditRecord> records = new ArrayList<>();
    long escapedLength = escapedTextLength(body);
    boolean text = escapedLength >= 0;
    long encodedLength = text ? escapedLength : (body.length + 2) / 3 * 4L;
    String bodySha256 = sha256(body);
    // A body this small goes in the request record itself: one record less per exchange...
    AuditRecord request =
        encodedLength <= MAX_INLINE_BODY_BYTES
            ? requestRecord(identity, method, uri, headers, body, summary, text, bodySha256, -1)
            : null;
    List<int[]> parts = List.of();
    if (request == null || !request.fitsTheLog()) {
      // ...unless the record would pass its cap with it: then in parts, as a larger one. With
      // every field within its share it always fits; this guards a field added without one.
      parts = split(body, text ? PART_BYTES : PART_BYTES * 3 / 4, text);
      request =
          requestRecord(
              identity, method, uri, headers, body, summary, text, bodySha256, parts.size());
    }
    records.add(request);
    for (int i = 0; i < parts.size(); i++) {
      int[] part = parts.get(i);
      int index = i;
      records.add(
          AuditRecord.written(
              AuditRecord.REQUEST_BODY,
              exchangeId,
              null,
              out -> {
                out.writeNumberField("part", index);
                out.writeFieldName("data");
                RecordedBytes.write(out, body, part[0], part[1], text);
              }));
    }
    if (decision != null) {
      records.add(decisionRecord(decision, policyVersion));
    }
    recorded = true;
    CompletableFuture<Long> durable = auditLog.append(records);
    // Without its request record an exchange's later records would be orphans: they are skipped.
    durable.whenComplete(
        (seq, error) -> {
          if (error != null) {
            requestFailure = error;
          }
        });
    return durable;
  }

  /**
   * Whether {@link #request} was called and has not failed: only then do the later records belong
   * in the log.
   */
  public boolean recorded() {
    return recorded && requestFailure == null;
  }

  /**
   * The {@code request} record: with the body as {@code body} when {@code parts} is -1, else saying
   * how many {@code request_body} parts follow.
   */
  private AuditRecord requestRecord(
      Identity identity,
      String method,
      String uri,
      Map<String, String> headers,
      byte[] body,
      RequestSummary summary,
      boolean text,
      String bodySha256,
      int parts) {
    boolean inline = parts < 0;
    return AuditRecord.written(
        AuditRecord.REQUEST,
        exchangeId,
        identity == null ? null : identity.subject(),
        out -> {
          out.writeObjectFieldStart("identity");
          if (identity != null) {
            writeIdentity(out, identity);
          }
          out.writeEndObject();
          // The request line's limit is the URI's, which may be raised far past 64 KiB.
          writeCapped(out, "method", method, MAX_METHOD_BYTES);
          // A path this long only passes a raised http.max_uri_length.
          writeCapped(out, "path", uri, MAX_PATH_BYTES);
          out.writeObjectFieldStart("headers");
          long budget = MAX_HEADER_BYTES;
          int omitted = 0;
          for (Map.Entry<String, String> header : headers.entrySet()) {
            long cost =
                RecordedBytes.escapedLength(header.getKey())
                    + RecordedBytes.escapedLength(header.getValue())
                    + 6;
            if (cost > budget) {
              omitted++;
              continue;
            }
            budget -= cost;
            out.writeStringField(header.getKey(), header.getValue());
          }
          out.writeEndObject();
          if (omitted > 0) {
            out.writeNumberField("headers_omitted", omitted);
          }
          if (summary != null && !summary.model().isEmpty()) {
            writeCapped(out, "model", summary.model(), MAX_MODEL_BYTES);
            out.writeBooleanField("stream", summary.stream());
            out.writeNumberField("max_tokens", summary.maxTokens());
          }
          out.writeNumberField("body_size", body.length);
          out.writeStringField("body_sha256", bodySha256);
          out.writeStringField(
              "body_encoding", text ? RecordedBytes.UTF_8_ENCODING : RecordedBytes.BASE64_ENCODING);
          out.writeNumberField("body_parts", inline ? 0 : parts);
          if (inline) {
            out.writeFieldName("body");
            RecordedBytes.write(out, body, 0, body.length, text);
          }
        });
  }

  /** {@code sub}, {@code iss}, {@code groups} (within their budget) and {@code purpose}. */
  private static void writeIdentity(JsonGenerator out, Identity identity) throws IOException {
    writeCapped(out, "sub", identity.subject(), MAX_IDENTITY_FIELD_BYTES);
    writeCapped(out, "iss", identity.issuer(), MAX_IDENTITY_FIELD_BYTES);
    out.writeArrayFieldStart("groups");
    List<String> groups = identity.groups();
    long groupBudget = MAX_GROUP_BYTES;
    int written = 0;
    for (String group : groups) {
      groupBudget -= RecordedBytes.escapedLength(group) + 3;
      if (groupBudget < 0) {
        break;
      }
      out.writeString(group);
      written++;
    }
    out.writeEndArray();
    if (written < groups.size()) {
      out.writeNumberField("groups_omitted", groups.size() - written);
    }
    if (identity.purpose().isPresent()) {
      writeCapped(out, "purpose", identity.purpose().get(), MAX_IDENTITY_FIELD_BYTES);
    }
  }

  /**
   * Writes {@code value} as {@code field}, cut to at most {@code maxBytes} as written, and then
   * {@code <field>_length}, its whole length in chars.
   */
  private static void writeCapped(JsonGenerator out, String field, String value, int maxBytes)
      throws IOException {
    int end = RecordedBytes.prefixWithin(value, maxBytes);
    out.writeStringField(field, value.substring(0, end));
    if (end < value.length()) {
      out.writeNumberField(field + "_length", value.length());
    }
  }

  private AuditRecord decisionRecord(Decision decision, String policyVersion) {
    return AuditRecord.written(
        AuditRecord.DECISION,
        exchangeId,
        null,
        out -> {
          if (decision instanceof Decision.Allow allow) {
            out.writeStringField("decision", "allow");
            out.writeStringField("rule", allow.ruleName());
            writeVersion(out, policyVersion);
            writeStrings(out, "mask", allow.mask());
            if (allow.route().isPresent()) {
              out.writeStringField("route", allow.route().get());
            }
          } else if (decision instanceof Decision.Deny deny) {
            out.writeStringField("decision", "deny");
            if (deny.ruleName().isPresent()) {
              out.writeStringField("rule", deny.ruleName().get());
            }
            out.writeStringField("reason", deny.reason());
            writeVersion(out, policyVersion);
          } else if (decision instanceof Decision.Hold hold) {
            out.writeStringField("decision", "hold");
            out.writeStringField("rule", hold.ruleName());
            writeVersion(out, policyVersion);
            writeStrings(out, "approvers", hold.approvers());
          }
        });
  }

  private static void writeStrings(JsonGenerator out, String field, List<String> values)
      throws IOException {
    out.writeArrayFieldStart(field);
    for (String value : values) {
      out.writeString(value);
    }
    out.writeEndArray();
  }

  private static void writeVersion(JsonGenerator out, String policyVersion) throws IOException {
    if (policyVersion != null) {
      out.writeStringField("policy_version", policyVersion);
    }
  }

  /** The head of the response as sent to the caller. */
  public void responseHead(int status, Map<String, String> headers) {
    long offset = offsetMillis(System.nanoTime());
    pending.add(
        AuditRecord.written(
            AuditRecord.RESPONSE_HEAD,
            exchangeId,
            null,
            out -> {
              out.writeNumberField("offset_ms", offset);
              out.writeNumberField("status", status);
              out.writeObjectFieldStart("headers");
              for (Map.Entry<String, String> header : headers.entrySet()) {
                out.writeStringField(header.getKey(), header.getValue());
              }
              out.writeEndObject();
            }));
  }

  /**
   * Bytes written to the caller now. The recorder may keep {@code data} itself until the record is
   * written: the caller must not change it afterwards.
   */
  public void piece(byte[] data) {
    if (data.length == 0) {
      return;
    }
    long now = System.nanoTime();
    long offset = offsetMillis(now);
    if (!batch.isEmpty() && now - batchStartNanos >= CHUNK_BATCH_NANOS) {
      flushChunk();
    }
    receivedBytes += data.length;
    // Bytes of a character cut by the last write travel with this one.
    byte[] all = carry.length == 0 ? data : concat(carry, data);
    long pieceOffset = carry.length == 0 ? offset : carryOffsetMillis;
    int end = all.length - RecordedBytes.incompleteTail(all, 0, all.length);
    carry = java.util.Arrays.copyOfRange(all, end, all.length);
    carryOffsetMillis = pieceOffset;
    for (int from = 0; from < end; ) {
      int to = Math.min(end, from + CHUNK_BATCH_BYTES);
      to = to == end ? end : Math.max(from + 1, RecordedBytes.charBoundary(all, from, to));
      // A record holds at most CHUNK_BATCH_BYTES raw bytes, so it stays far below the cap.
      if (batchBytes + (to - from) + PIECE_OVERHEAD > CHUNK_BATCH_BYTES) {
        flushChunk();
      }
      if (batch.isEmpty()) {
        batchStartNanos = now;
      }
      byte[] bytes =
          from == 0 && to == all.length ? all : java.util.Arrays.copyOfRange(all, from, to);
      batch.add(new Piece(pieceOffset, bytes));
      batchBytes += to - from + PIECE_OVERHEAD;
      from = to;
    }
  }

  /** Counts of masked values per detector, when a masking profile applied. */
  public void masking(Map<String, Long> counts) {
    pending.add(
        AuditRecord.written(
            AuditRecord.MASKING,
            exchangeId,
            null,
            out -> {
              out.writeObjectFieldStart("counts");
              writeCounts(out, counts);
              out.writeEndObject();
            }));
  }

  private static void writeCounts(JsonGenerator out, Map<String, Long> counts) throws IOException {
    for (Map.Entry<String, Long> count : counts.entrySet()) {
      out.writeFieldName(count.getKey());
      if (count.getValue() == null) {
        out.writeNull();
      } else {
        out.writeNumber(count.getValue());
      }
    }
  }

  /**
   * An approval step of this exchange ({@code approval} record): which approval held it and how the
   * hold ended ({@code event}, {@code approval_id}, {@code outcome}, ...).
   */
  public void approval(ObjectNode fields) {
    // Now, not with the next chunk: a hold's steps are what an approver looks for while it waits.
    pending.add(new AuditRecord(AuditRecord.APPROVAL, exchangeId, fields));
    appendPending();
  }

  /**
   * The exchange ended: writes what is left of the pieces and the {@code response_end} record.
   *
   * @param outcome {@code complete}, {@code aborted} or {@code error}
   * @param status the status the caller got, or 0 when none
   * @param usage the upstream's token counts, or {@code null}
   * @param error why, for {@code aborted} and {@code error}, or {@code null}
   */
  public void end(String outcome, int status, Map<String, Long> usage, String error) {
    if (failure != null) {
      // Pieces after the failure were not recorded: the end says why the log is short.
      outcome = "error";
      error = "audit_unavailable: the audit log failed during the response";
    }
    if (carry.length > 0) {
      if (batch.isEmpty()) {
        batchStartNanos = System.nanoTime();
      }
      batch.add(new Piece(carryOffsetMillis, carry));
      carry = new byte[0];
    }
    // The last chunk goes with the end, in one submission.
    makeChunk();
    String endOutcome = outcome;
    String endError = error;
    long duration = offsetMillis(System.nanoTime());
    long bytes = receivedBytes;
    pending.add(
        AuditRecord.written(
            AuditRecord.RESPONSE_END,
            exchangeId,
            null,
            out -> {
              out.writeStringField("outcome", endOutcome);
              if (status > 0) {
                out.writeNumberField("status", status);
              } else {
                out.writeNullField("status");
              }
              out.writeNumberField("duration_ms", duration);
              out.writeNumberField("bytes", bytes);
              if (usage != null && !usage.isEmpty()) {
                out.writeObjectFieldStart("usage");
                writeCounts(out, usage);
                out.writeEndObject();
              }
              if (endError != null) {
                out.writeStringField("error", endError);
              }
            }));
    appendPending();
  }

  /** The first failure of a record appended without waiting, or {@code null}. */
  public Throwable failed() {
    return failure;
  }

  private void flushChunk() {
    makeChunk();
    appendPending();
  }

  /** Turns the batched pieces into a pending {@code response_chunk} record. */
  private void makeChunk() {
    if (batch.isEmpty()) {
      return;
    }
    // Text unless a piece is not UTF-8 or escaping would blow the record up (control bytes).
    boolean text = true;
    long raw = 0;
    long escaped = 0;
    for (Piece piece : batch) {
      byte[] data = piece.data();
      raw += data.length;
      escaped += RecordedBytes.escapedLength(data, 0, data.length);
      if (!RecordedBytes.isUtf8(data, 0, data.length)) {
        text = false;
        break;
      }
    }
    text &= escaped <= raw * 3 / 2 + 64;
    boolean asText = text;
    int part = chunkPart++;
    AuditRecord chunk =
        AuditRecord.written(
            AuditRecord.RESPONSE_CHUNK,
            exchangeId,
            null,
            out -> {
              out.writeNumberField("part", part);
              out.writeStringField(
                  "encoding",
                  asText ? RecordedBytes.UTF_8_ENCODING : RecordedBytes.BASE64_ENCODING);
              out.writeArrayFieldStart("pieces");
              for (Piece piece : batch) {
                byte[] data = piece.data();
                out.writeStartObject();
                out.writeNumberField("offset_ms", piece.offsetMillis());
                out.writeFieldName("data");
                RecordedBytes.write(out, data, 0, data.length, asText);
                out.writeEndObject();
              }
              out.writeEndArray();
            });
    batch.clear();
    batchBytes = 0;
    pending.add(chunk);
  }

  /** Appends the pending records in one submission, without waiting. */
  private void appendPending() {
    if (pending.isEmpty()) {
      return;
    }
    List<AuditRecord> records = List.copyOf(pending);
    pending.clear();
    if (requestFailure != null) {
      // No orphans.
      return;
    }
    if (failure != null) {
      // No gaps: after a failure only the end is still written.
      records = records.stream().filter(r -> r.type().equals(AuditRecord.RESPONSE_END)).toList();
      if (records.isEmpty()) {
        return;
      }
    }
    List<AuditRecord> appended = records;
    auditLog
        .appendUnawaited(appended)
        .whenComplete(
            (seq, error) -> {
              if (error != null && failure == null) {
                failure = error;
                log.warn("{}: cannot record {}: {}", exchangeId, appended, error.toString());
              }
            });
  }

  private long offsetMillis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos - startNanos);
  }

  /**
   * The body's length escaped for JSON when it is text — UTF-8 whose every part stays under the
   * record cap once escaped — or -1 when it goes as base64.
   */
  private static long escapedTextLength(byte[] body) {
    if (!RecordedBytes.isUtf8(body, 0, body.length)) {
      return -1;
    }
    long total = 0;
    for (int[] part : split(body, PART_BYTES, true)) {
      long escaped = RecordedBytes.escapedLength(body, part[0], part[1]);
      if (escaped > PART_BYTES * 3L / 2) {
        return -1;
      }
      total += escaped;
    }
    return total;
  }

  /** {@code [from, to)} ranges of at most {@code size} bytes, not cutting characters when text. */
  private static List<int[]> split(byte[] body, int size, boolean text) {
    List<int[]> parts = new ArrayList<>();
    for (int from = 0; from < body.length; ) {
      int to = Math.min(body.length, from + size);
      if (text && to < body.length) {
        to = Math.max(from + 1, RecordedBytes.charBoundary(body, from, to));
      }
      parts.add(new int[] {from, to});
      from = to;
    }
    return parts;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static String sha256(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
