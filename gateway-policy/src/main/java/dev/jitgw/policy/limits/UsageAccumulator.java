package dev.jitgw.policy.limits;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads the token usage out of an upstream response body while it streams past, chunk by chunk,
 * however the chunks split it (inside a UTF-8 character, a line ending or a JSON token), without
 * holding up or changing the body.
 *
 * <ul>
 *   <li>{@code application/json}: the body is collected up to a cap (default 1 MiB) and its
 *       top-level {@code usage} read when asked; a larger body gives no usage.
 *   <li>{@code text/event-stream}: events are framed line by line (the WHATWG server-sent events
 *       rules: LF, CRLF or CR ends a line, an empty line ends an event). {@code message_start}
 *       carries {@code message.usage} (the input and cache counts); {@code message_delta} carries
 *       the cumulative {@code usage} so far (output tokens, and in newer API versions the input and
 *       cache counts too). The latest value of each field wins. Other events are not parsed. A line
 *       longer than the cap (default 64 KiB) is skipped, and the event it belongs to is ignored;
 *       nothing fails.
 *   <li>anything else: no usage.
 * </ul>
 *
 * <p>Not thread-safe: one accumulator is fed by the event loop of its exchange. It never retains or
 * releases the buffers it reads.
 */
public final class UsageAccumulator {
  /** Default cap on a JSON body read for its usage. */
  public static final int DEFAULT_JSON_CAP = 1 << 20;

  /** Default cap on one SSE line (and on the data of one event). */
  public static final int DEFAULT_MAX_LINE = 64 * 1024;

  private static final JsonFactory JSON = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

  private final Body body;

  // The latest value of each usage field; null until seen.
  private Long inputTokens;
  private Long outputTokens;
  private Long cacheCreationInputTokens;
  private Long cacheReadInputTokens;
  private boolean complete;

  private enum Framing {
    NONE,
    JSON,
    EVENT_STREAM
  }

  private UsageAccumulator(Framing framing, int cap) {
    this.body =
        switch (framing) {
          case NONE -> null;
          case JSON -> new JsonBody(cap);
          case EVENT_STREAM -> new EventStreamBody(cap);
        };
  }

  /**
   * An accumulator for a response of {@code contentType} (the {@code content-type} header, may be
   * null), with the default caps.
   */
  public static UsageAccumulator forContentType(String contentType) {
    if (contentType == null) {
      return new UsageAccumulator(Framing.NONE, 0);
    }
    String mediaType = contentType;
    int semicolon = mediaType.indexOf(';');
    if (semicolon >= 0) {
      mediaType = mediaType.substring(0, semicolon);
    }
    mediaType = mediaType.trim().toLowerCase(Locale.ROOT);
    if (mediaType.equals("text/event-stream")) {
      return eventStream(DEFAULT_MAX_LINE);
    }
    if (mediaType.equals("application/json") || mediaType.endsWith("+json")) {
      return json(DEFAULT_JSON_CAP);
    }
    return new UsageAccumulator(Framing.NONE, 0);
  }

  /** An accumulator for a JSON body of at most {@code maxBytes}. */
  public static UsageAccumulator json(int maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
    }
    return new UsageAccumulator(Framing.JSON, maxBytes);
  }

  /** An accumulator for a server-sent event stream with lines of at most {@code maxLineBytes}. */
  public static UsageAccumulator eventStream(int maxLineBytes) {
    if (maxLineBytes <= 0) {
      throw new IllegalArgumentException("maxLineBytes: " + maxLineBytes + " (expected: > 0)");
    }
    return new UsageAccumulator(Framing.EVENT_STREAM, maxLineBytes);
  }

  /** Reads the readable bytes of {@code chunk}; its indexes and reference count are untouched. */
  public void accept(ByteBuf chunk) {
    if (body != null && chunk.isReadable()) {
      body.accept(chunk);
    }
  }

  public void accept(byte[] chunk) {
    accept(chunk, 0, chunk.length);
  }

  public void accept(byte[] chunk, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, chunk.length);
    if (body != null && length > 0) {
      body.accept(chunk, offset, length);
    }
  }

  /**
   * The usage seen so far: fields not reported yet are 0. Empty when the body reported none (not a
   * Messages response, an error, a body over the cap, a stream cut before {@code message_start}).
   */
  public Optional<Usage> usage() {
    if (body != null) {
      body.finish();
    }
    if (inputTokens == null
        && outputTokens == null
        && cacheCreationInputTokens == null
        && cacheReadInputTokens == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Usage(
            orZero(inputTokens),
            orZero(outputTokens),
            orZero(cacheCreationInputTokens),
            orZero(cacheReadInputTokens)));
  }

  /**
   * Whether {@link #usage()} is the response's final usage: a JSON body's {@code usage}, or a
   * stream's {@code message_delta} (cumulative, sent once the message is done). A stream cut before
   * it has only {@code message_start}'s counts, which say nothing about the output: settle such a
   * reservation with {@link Reservation#keepWorstCase()}.
   */
  public boolean isComplete() {
    if (body != null) {
      body.finish();
    }
    return complete;
  }

  private static long orZero(Long value) {
    return value == null ? 0 : value;
  }

  private void readUsage(JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return;
    }
    inputTokens = count(usage, "input_tokens", inputTokens);
    outputTokens = count(usage, "output_tokens", outputTokens);
    cacheCreationInputTokens =
        count(usage, "cache_creation_input_tokens", cacheCreationInputTokens);
    cacheReadInputTokens = count(usage, "cache_read_input_tokens", cacheReadInputTokens);
  }

  /** The field's value when it is a count; otherwise (absent, null, not a number) the previous. */
  private static Long count(JsonNode usage, String field, Long previous) {
    JsonNode value = usage.get(field);
    if (value != null
        && value.isIntegralNumber()
        && value.canConvertToLong()
        && value.asLong() >= 0) {
      return value.asLong();
    }
    return previous;
  }

  private interface Body {
    void accept(ByteBuf chunk);

    void accept(byte[] chunk, int offset, int length);

    /** Brings the usage fields up to date with what was accepted. */
    void finish();
  }

  /** Collects a JSON body up to the cap and reads {@code usage} when asked. */
  private final class JsonBody implements Body {
    private final int maxBytes;
    private byte[] bytes = new byte[256];
    private int length;
    private boolean overflowed;
    private int parsedLength = -1;

    JsonBody(int maxBytes) {
      this.maxBytes = maxBytes;
    }

    @Override
    public void accept(ByteBuf chunk) {
      int readable = chunk.readableBytes();
      if (reserve(readable)) {
        chunk.getBytes(chunk.readerIndex(), bytes, length, readable);
        length += readable;
      }
    }

    @Override
    public void accept(byte[] chunk, int offset, int count) {
      if (reserve(count)) {
        System.arraycopy(chunk, offset, bytes, length, count);
        length += count;
      }
    }

    private boolean reserve(int more) {
      if (overflowed) {
        return false;
      }
      if (more > maxBytes - length) {
        // Over the cap the usage is unknown; keep nothing rather than a prefix.
        overflowed = true;
        bytes = null;
        length = 0;
        return false;
      }
      if (length + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.min(maxBytes, Math.max(length + more, bytes.length * 2)));
      }
      return true;
    }

    @Override
    public void finish() {
      if (overflowed || length == parsedLength) {
        return;
      }
      parsedLength = length;
      try (JsonParser parser = JSON.createParser(bytes, 0, length)) {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
          return;
        }
        // Walk the top level only; the message content is skipped unparsed into values.
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          JsonToken value = parser.nextToken();
          if (name.equals("usage") && value == JsonToken.START_OBJECT) {
            readUsage(MAPPER.readTree(parser));
            complete = true;
          } else {
            parser.skipChildren();
          }
        }
      } catch (IOException e) {
        // Not JSON, or cut short: whatever usage was read before the damage stands.
      }
    }
  }

  /** Frames server-sent events incrementally and reads usage from the two events that carry it. */
  private final class EventStreamBody implements Body, ByteProcessor {
    private final int maxLine;
    private byte[] line = new byte[256];
    private int lineLength;

    /**
     * The rest of the line is not read: it is over-long, or it is the data of an event that carries
     * no usage (a text delta's, most of a stream's bytes), found so by its {@code data:}. Its end
     * is searched for rather than each byte handled.
     */
    private boolean ignoringLine;

    private boolean afterCarriageReturn;

    // The event being assembled.
    private String eventName;
    private byte[] data = new byte[256];
    private int dataLength = -1;
    private boolean eventDamaged;

    EventStreamBody(int maxLine) {
      this.maxLine = maxLine;
    }

    @Override
    public void accept(ByteBuf chunk) {
      int at = chunk.readerIndex();
      int end = chunk.writerIndex();
      while (at < end) {
        if (ignoringLine) {
          at = chunk.forEachByte(at, end - at, ByteProcessor.FIND_CRLF);
          if (at < 0) {
            return;
          }
        }
        // process() stops the walk where a line starts being ignored.
        int stopped = chunk.forEachByte(at, end - at, this);
        if (stopped < 0) {
          return;
        }
        at = stopped + 1;
      }
    }

    @Override
    public void accept(byte[] chunk, int offset, int count) {
      int end = offset + count;
      for (int i = offset; i < end; i++) {
        if (ignoringLine) {
          while (i < end && chunk[i] != '\n' && chunk[i] != '\r') {
            i++;
          }
          if (i == end) {
            return;
          }
        }
        process(chunk[i]);
      }
    }

    /** Takes one byte; false when the rest of the line is to be skipped ({@link #ignoringLine}). */
    @Override
    public boolean process(byte b) {
      if (afterCarriageReturn) {
        afterCarriageReturn = false;
        if (b == '\n') {
          return true; // the LF of a CRLF
        }
      }
      if (b == '\r') {
        afterCarriageReturn = true;
        endLine();
      } else if (b == '\n') {
        endLine();
      } else if (!ignoringLine) {
        if (lineLength == maxLine) {
          // Over-long: drop the line and the event it is part of.
          eventDamaged = true;
          ignoringLine = true;
          return false;
        }
        if (lineLength == line.length) {
          line = Arrays.copyOf(line, Math.min(maxLine, line.length * 2));
        }
        line[lineLength++] = b;
        if (lineLength == 5 && line[4] == ':' && is("data", 4) && !keepsData()) {
          // The data of an event whose data is not kept (appendData): skip it.
          ignoringLine = true;
          return false;
        }
      }
      return true;
    }

    /** Whether the event's data lines are kept: it is whole, and may carry usage. */
    private boolean keepsData() {
      return !eventDamaged && (eventName == null || carriesUsage(eventName));
    }

    /** Usage is read as each event ends; an unfinished event carries nothing final. */
    @Override
    public void finish() {}

    private void endLine() {
      int length = lineLength;
      lineLength = 0;
      if (ignoringLine) {
        ignoringLine = false;
        return;
      }
      if (length == 0) {
        dispatch();
        return;
      }
      if (line[0] == ':') {
        return; // a comment (keep-alive)
      }
      int colon = indexOf(line, length, (byte) ':');
      int nameEnd = colon < 0 ? length : colon;
      int valueStart = colon < 0 ? length : colon + 1;
      if (valueStart < length && line[valueStart] == ' ') {
        valueStart++;
      }
      if (is("event", nameEnd)) {
        eventName = new String(line, valueStart, length - valueStart, StandardCharsets.UTF_8);
      } else if (is("data", nameEnd)) {
        appendData(valueStart, length);
      }
    }

    private void appendData(int from, int to) {
      if (!keepsData()) {
        return; // nothing to read in it: do not copy it
      }
      int separator = dataLength < 0 ? 0 : 1;
      int needed = Math.max(0, dataLength) + separator + (to - from);
      if (needed > maxLine) {
        eventDamaged = true;
        return;
      }
      if (needed > data.length) {
        data = Arrays.copyOf(data, Math.min(maxLine, Math.max(needed, data.length * 2)));
      }
      int at = Math.max(0, dataLength);
      if (separator == 1) {
        data[at++] = '\n';
      }
      System.arraycopy(line, from, data, at, to - from);
      dataLength = needed;
    }

    private void dispatch() {
      try {
        if (!eventDamaged && dataLength >= 0 && (eventName == null || carriesUsage(eventName))) {
          read(MAPPER.readTree(JSON.createParser(data, 0, dataLength)));
        }
      } catch (IOException e) {
        // Not JSON: the event carries no usage we can read.
      } finally {
        eventName = null;
        dataLength = -1;
        eventDamaged = false;
      }
    }

    private void read(JsonNode event) {
      if (event == null || !event.isObject()) {
        return;
      }
      JsonNode typeNode = event.get("type");
      String type = typeNode != null && typeNode.isTextual() ? typeNode.asText() : eventName;
      if ("message_start".equals(type)) {
        JsonNode message = event.get("message");
        if (message != null) {
          readUsage(message.get("usage"));
        }
      } else if ("message_delta".equals(type)) {
        JsonNode usage = event.get("usage");
        if (usage != null && usage.isObject()) {
          readUsage(usage);
          complete = true;
        }
      }
    }

    private boolean is(String field, int nameLength) {
      if (nameLength != field.length()) {
        return false;
      }
      for (int i = 0; i < nameLength; i++) {
        if (line[i] != field.charAt(i)) {
          return false;
        }
      }
      return true;
    }
  }

  private static boolean carriesUsage(String eventName) {
    return eventName.equals("message_start") || eventName.equals("message_delta");
  }

  private static int indexOf(byte[] bytes, int length, byte b) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
