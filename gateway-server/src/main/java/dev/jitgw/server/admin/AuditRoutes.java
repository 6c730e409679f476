package dev.jitgw.server.admin;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.store.AuditLog;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.ExchangeId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The audit log's admin routes (contract section 6): exchanges newest first, one exchange's
 * records, the export as JSON Lines, and signed checkpoints. They read RocksDB, so they run on the
 * blocking executor, never on an event loop.
 */
final class AuditRoutes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DEFAULT_LIMIT = 50;
  private static final int MAX_LIMIT = 500;
  private static final int EXPORT_CHUNK_BYTES = 256 * 1024;
  private static final Set<String> EXCHANGE_PARAMETERS =
      Set.of("subject", "since", "until", "limit", "before", "model", "decision");

  /** Exchanges a filtered listing reads at most per page (it then answers a cursor to go on). */
  private static final int MAX_SCANNED = 5_000;

  private static final Set<String> DECISIONS = Set.of("allow", "deny", "hold", "none");

  private final AuditLog auditLog;

  AuditRoutes(AuditLog auditLog) {
    this.auditLog = auditLog;
  }

  /**
   * {@code GET /api/exchanges?subject=&since=&until=&limit=&before=}: newest first; {@code next} is
   * an opaque cursor for the following page (passed back as {@code before}), null on the last.
   */
  ObjectNode exchanges(QueryStringDecoder query) throws IOException {
    requireOnly(query, EXCHANGE_PARAMETERS);
    Optional<String> subject = param(query, "subject");
    Instant since = param(query, "since").map(v -> instant("since", v)).orElse(Instant.EPOCH);
    Instant until =
        param(query, "until").map(v -> instant("until", v)).orElse(Instant.now().plusSeconds(1));
    int limit = param(query, "limit").map(AuditRoutes::limit).orElse(DEFAULT_LIMIT);
    Optional<AuditLog.ListPosition> before = param(query, "before").map(AuditRoutes::cursor);
    Optional<String> model = param(query, "model");
    Optional<String> decision = param(query, "decision");
    if (decision.isPresent() && !DECISIONS.contains(decision.get())) {
      throw new GatewayException(
          ErrorCode.BAD_REQUEST,
          "decision: '" + decision.get() + "' (expected allow, deny, hold or none).");
    }
    if (model.isPresent() || decision.isPresent()) {
      return filtered(subject, since, until, before, limit, model, decision);
    }
    // One more than asked tells whether there is a next page without an empty last one.
    List<AuditLog.ExchangeRef> refs = auditLog.exchanges(subject, since, until, before, limit + 1);
    ObjectNode out = JSON.createObjectNode();
    ArrayNode items = out.putArray("exchanges");
    for (AuditLog.ExchangeRef ref : refs.subList(0, Math.min(limit, refs.size()))) {
      items.add(summary(ref.exchangeId(), auditLog.exchange(ref.exchangeId())));
    }
    out.put("next", refs.size() > limit ? cursor(refs.get(limit - 1).position()) : null);
    return out;
  }

  /**
   * A listing filtered by model (a prefix: {@code claude-sonnet} matches every Sonnet) or decision
   * ({@code none}: refused before the policy). Reads exchanges in order until the page is full or
   * {@value #MAX_SCANNED} were read; {@code next} then continues after the last one read, so a rare
   * match deep in the log costs several pages rather than one unbounded read.
   */
  private ObjectNode filtered(
      Optional<String> subject,
      Instant since,
      Instant until,
      Optional<AuditLog.ListPosition> before,
      int limit,
      Optional<String> model,
      Optional<String> decision)
      throws IOException {
    ObjectNode out = JSON.createObjectNode();
    ArrayNode items = out.putArray("exchanges");
    Optional<AuditLog.ListPosition> position = before;
    AuditLog.ListPosition lastRead = null;
    int read = 0;
    int batchSize = Math.max(limit + 1, 100);
    while (read < MAX_SCANNED) {
      List<AuditLog.ExchangeRef> batch =
          auditLog.exchanges(subject, since, until, position, batchSize);
      for (AuditLog.ExchangeRef ref : batch) {
        ObjectNode summary = summary(ref.exchangeId(), auditLog.exchange(ref.exchangeId()));
        boolean matches =
            model.map(m -> summary.path("model").asText("").startsWith(m)).orElse(true)
                && decision
                    .map(d -> summary.path("decision").asText("none").equals(d))
                    .orElse(true);
        if (matches && items.size() == limit) {
          // One more match: there is a next page, after the last one listed.
          out.put("next", cursor(lastRead));
          return out;
        }
        if (matches) {
          items.add(summary);
        }
        lastRead = ref.position();
        read++;
      }
      if (batch.size() < batchSize) {
        out.putNull("next");
        return out;
      }
      position = Optional.of(batch.get(batch.size() - 1).position());
    }
    out.put("next", lastRead == null ? null : cursor(lastRead));
    return out;
  }

  /**
   * The cursor names the last exchange listed by start time and id (the index key), so exchanges
   * that share a millisecond are neither skipped nor repeated. Opaque to clients: base64url of
   * {@code millis.id}.
   */
  static String cursor(AuditLog.ListPosition position) {
    String plain = position.startedMillis() + "." + position.exchangeId();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(UTF_8));
  }

  static AuditLog.ListPosition cursor(String value) {
    try {
      String plain = new String(Base64.getUrlDecoder().decode(value), UTF_8);
      int dot = plain.indexOf('.');
      if (dot > 0) {
        long millis = Long.parseLong(plain.substring(0, dot));
        String id = plain.substring(dot + 1);
        if (millis >= 0 && ExchangeId.isValid(id)) {
          return new AuditLog.ListPosition(millis, id);
        }
      }
    } catch (IllegalArgumentException e) { // also NumberFormatException
      // fall through
    }
    throw new GatewayException(
        ErrorCode.BAD_REQUEST, "before: '" + value + "' (expected the 'next' of a previous page)");
  }

  /** Refuses parameters a route does not know, rather than ignoring a misspelt filter. */
  static void requireOnly(QueryStringDecoder query, Set<String> known) {
    for (String name : query.parameters().keySet()) {
      if (!known.contains(name)) {
        throw new GatewayException(
            ErrorCode.BAD_REQUEST,
            "Unknown parameter '"
                + name
                + "' (expected "
                + (known.isEmpty() ? "none" : String.join(", ", new TreeSet<>(known)))
                + ").");
      }
    }
  }

  /** {@code GET /api/exchanges/{id}}: the summary and every record, parsed. */
  Optional<ObjectNode> exchange(String id) throws IOException {
    if (!ExchangeId.isValid(id)) {
      throw new GatewayException(ErrorCode.BAD_REQUEST, "Not an exchange id: " + id);
    }
    List<byte[]> records = auditLog.exchange(id);
    if (records.isEmpty()) {
      return Optional.empty();
    }
    ObjectNode out = summary(id, records);
    ArrayNode all = out.putArray("records");
    for (byte[] record : records) {
      all.add(JSON.readTree(record));
    }
    return Optional.of(out);
  }

  /** One line per exchange: who asked what, what was decided, how it ended. */
  private static ObjectNode summary(String id, List<byte[]> records) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("id", id);
    for (byte[] bytes : records) {
      JsonNode record = JSON.readTree(bytes);
      switch (record.path("type").asText()) {
        case "request" -> {
          out.put("started_at", record.path("time").asText());
          out.put("subject", record.path("identity").path("sub").asText(null));
          out.put("method", record.path("method").asText());
          out.put("path", record.path("path").asText());
          if (record.has("model")) {
            out.put("model", record.path("model").asText());
          }
        }
        case "decision" -> {
          out.put("decision", record.path("decision").asText());
          if (record.has("rule")) {
            out.put("rule", record.path("rule").asText());
          }
        }
        case "response_end" -> {
          out.put("outcome", record.path("outcome").asText());
          out.set("status", record.path("status"));
          if (record.has("usage")) {
            out.set("usage", record.get("usage"));
          }
        }
        default -> {}
      }
    }
    return out;
  }

  /** {@code GET /api/audit/checkpoint[?size=N]}: the latest stored one, or one for size N. */
  FullHttpResponse checkpoint(QueryStringDecoder query) throws IOException {
    Optional<String> size = param(query, "size");
    String note;
    if (size.isPresent()) {
      long n = number("size", size.get());
      if (n > auditLog.size()) {
        throw new GatewayException(
            ErrorCode.BAD_REQUEST, "size: " + n + " (the log has " + auditLog.size() + ")");
      }
      note = auditLog.checkpoint(n);
    } else {
      Optional<String> latest = auditLog.latestCheckpoint();
      note = latest.isPresent() ? latest.get() : auditLog.checkpoint(auditLog.size());
    }
    byte[] bytes = note.getBytes(UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    response.headers().set("jitgw-verifier-key", auditLog.verifierKey());
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    return response;
  }

  /**
   * {@code GET /api/audit/export?from=&to=}: records {@code from} to {@code to} (inclusive) as JSON
   * Lines, byte-exact, streamed in chunks; each chunk is written only once the previous one left,
   * so a large export never sits in memory. The checkpoint for the same tree is {@code GET
   * /api/audit/checkpoint?size=to+1}.
   */
  void export(ChannelHandlerContext ctx, QueryStringDecoder query, boolean keepAlive)
      throws IOException {
    long size = auditLog.size();
    long from = param(query, "from").map(v -> number("from", v)).orElse(0L);
    long to = param(query, "to").map(v -> number("to", v)).orElse(size - 1);
    if (size == 0 || from > to || to >= size) {
      throw new GatewayException(
          ErrorCode.BAD_REQUEST,
          "from/to: " + from + ".." + to + " (the log holds records 0.." + (size - 1) + ")");
    }
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/jsonl");
    head.headers().set("jitgw-tree-size", to + 1);
    head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    HttpUtil.setTransferEncodingChunked(head, true);
    HttpUtil.setKeepAlive(head, keepAlive);
    ctx.writeAndFlush(head);
    // AuditLog.records reads in batches and holds no store lock between them, so a slow client
    // never holds up the writer.
    try {
      Iterator<byte[]> records = auditLog.records(from, to + 1);
      while (records.hasNext()) {
        ByteBuf chunk = ctx.alloc().buffer(EXPORT_CHUNK_BYTES);
        try {
          while (records.hasNext() && chunk.readableBytes() < EXPORT_CHUNK_BYTES) {
            chunk.writeBytes(records.next()).writeByte('\n');
          }
        } catch (RuntimeException e) {
          chunk.release();
          throw e;
        }
        if (!ctx.writeAndFlush(new DefaultHttpContent(chunk)).awaitUninterruptibly().isSuccess()) {
          throw new IOException("the admin client left");
        }
      }
    } catch (IOException | RuntimeException e) {
      // The head is out: cut the connection so the client sees an incomplete export.
      ctx.close();
      throw e;
    }
    var last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    if (!keepAlive) {
      last.addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    }
  }

  private static Optional<String> param(QueryStringDecoder query, String name) {
    List<String> values = query.parameters().get(name);
    return values == null || values.isEmpty() || values.get(0).isBlank()
        ? Optional.empty()
        : Optional.of(values.get(0));
  }

  private static Instant instant(String name, String value) {
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new GatewayException(
          ErrorCode.BAD_REQUEST, name + ": '" + value + "' (expected e.g. 2026-11-29T05:00:00Z)");
    }
  }

  private static long number(String name, String value) {
    try {
      long n = Long.parseLong(value);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new GatewayException(
        ErrorCode.BAD_REQUEST, name + ": '" + value + "' (expected a number >= 0)");
  }

  private static int limit(String value) {
    long n = number("limit", value);
    if (n < 1 || n > MAX_LIMIT) {
      throw new GatewayException(
          ErrorCode.BAD_REQUEST, "limit: " + n + " (expected 1 to " + MAX_LIMIT + ")");
    }
    return (int) n;
  }
}
