package dev.jitgw.policy.masking;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Masks one streamed Messages API response ({@code text/event-stream}) as it passes, chunk by
 * chunk, however the network splits it (inside an event, a line ending, a UTF-8 character).
 *
 * <p>Events are framed by the WHATWG server-sent events rules (LF, CRLF or CR end a line; an empty
 * line ends an event), each bounded by a byte cap. An event goes out when it is complete, as it
 * came when masking does not change it, otherwise rewritten with its {@code event}, {@code id},
 * {@code retry} and comment lines kept and one {@code data} line. No event is dropped; what
 * changes:
 *
 * <ul>
 *   <li>{@code text_delta}: the text is masked per content block by a {@link TextStream}; the delta
 *       carries what is decided, possibly an empty string while a value could be in progress, and
 *       what is still held when the block ends goes out in one added {@code text_delta} just before
 *       its {@code content_block_stop}.
 *   <li>{@code input_json_delta}: tool input is only complete (and parseable) at the end of its
 *       block, so each delta goes out with an empty {@code partial_json}, and the whole input,
 *       masked, in one added {@code input_json_delta} just before {@code content_block_stop}.
 *   <li>{@code thinking_delta} and {@code signature_delta}: unchanged ({@link ThinkingMode#LEAVE}),
 *       or, with {@link ThinkingMode#DROP}, the block starts as {@code redacted_thinking} and its
 *       deltas become {@code ping} events.
 *   <li>{@code content_block_start} and {@code message_start}: content they carry is masked like a
 *       JSON body ({@link ContentMasker}). {@code citations_delta}: the citation's strings.
 *   <li>{@code ping}, {@code message_delta}, {@code message_stop}, {@code error}, unknown events
 *       and unknown delta types: unchanged.
 * </ul>
 *
 * <p>Fails closed: an event whose data is not a JSON object, an event over the cap, a delta for a
 * block that was not started, tool input that is not JSON or over its cap, an event name that
 * contradicts its data's type: {@link #accept} throws {@link MaskingException}, returns nothing of
 * the offending event, and every later call throws too. The caller then ends the stream with an SSE
 * {@code error} event. When the stream ends, text still held and unfinished tool input are
 * discarded, never sent: they could be the beginning of a value.
 *
 * <p>Not thread-safe: one per response, fed by its event loop. It never retains or releases the
 * buffers it reads.
 */
public final class SseMasker {
  /** Default cap on one event (its raw bytes). */
  public static final int DEFAULT_MAX_EVENT_BYTES = 4 << 20;

  /** Default cap on the input of one tool-use block, in chars. */
  public static final int DEFAULT_MAX_TOOL_INPUT = 16 << 20;

  private static final byte[] PING_DATA = "{\"type\": \"ping\"}".getBytes(StandardCharsets.UTF_8);

  private final Masker masker;
  private final ContentMasker content;
  private final ThinkingMode thinking;
  private final int maxEventBytes;
  private final int maxToolInput;
  private final Tally tally = new Tally();
  private final Map<Integer, Block> blocks = new HashMap<>();

  // Framing: the raw bytes of the event being read, and where its lines are.
  private final Json.Bytes event = new Json.Bytes(512);
  private int lineStart;
  private int[] lines = new int[16]; // start, end pairs of the event's non-empty lines
  private int lineCount;
  private boolean afterCarriageReturn;
  private boolean swallowLineFeed;
  private boolean atStreamStart = true;

  /** What {@link #accept} returns is built here: its thread's {@link Scratch#out} while it runs. */
  private Json.Bytes out;

  private long events;
  private String failure;
  private boolean finished;

  SseMasker(
      ContentMasker content,
      Masker masker,
      ThinkingMode thinking,
      int maxEventBytes,
      int maxToolInput) {
    if (maxEventBytes <= 0) {
      throw new IllegalArgumentException("maxEventBytes: " + maxEventBytes + " (expected: > 0)");
    }
    if (maxToolInput <= 0) {
      throw new IllegalArgumentException("maxToolInput: " + maxToolInput + " (expected: > 0)");
    }
    this.content = requireNonNull(content, "content");
    this.masker = requireNonNull(masker, "masker");
    this.thinking = requireNonNull(thinking, "thinking");
    this.maxEventBytes = maxEventBytes;
    this.maxToolInput = maxToolInput;
  }

  private enum Kind {
    TEXT,
    TOOL,
    THINKING,
    OTHER
  }

  /** What is known about one open content block. */
  private static final class Block {
    final Kind kind;
    final TextStream text;
    final StringBuilder input;

    Block(Kind kind, TextStream text) {
      this.kind = kind;
      this.text = text;
      this.input = kind == Kind.TOOL ? new StringBuilder() : null;
    }
  }

  /**
   * Reads a chunk of the upstream stream.
   *
   * @return the bytes to send to the caller now (the events this chunk completed), maybe none
   * @throws MaskingException when an event cannot be masked; nothing of it was returned
   */
  public byte[] accept(byte[] chunk) throws MaskingException {
    return accept(chunk, 0, chunk.length);
  }

  public byte[] accept(byte[] chunk, int offset, int length) throws MaskingException {
    Objects.checkFromIndexSize(offset, length, chunk.length);
    checkUsable();
    Scratch scratch = SCRATCH.get();
    out = scratch.out;
    out.clear();
    try {
      frame(chunk, offset, offset + length);
      return out.toByteArray();
    } catch (MaskingException e) {
      failure = e.getMessage();
      throw e;
    } finally {
      out = null;
      scratch.trim();
    }
  }

  /** Reads the readable bytes of {@code chunk}; its indexes and reference count are untouched. */
  public byte[] accept(ByteBuf chunk) throws MaskingException {
    int length = chunk.readableBytes();
    if (chunk.hasArray()) {
      return accept(chunk.array(), chunk.arrayOffset() + chunk.readerIndex(), length);
    }
    byte[] bytes = SCRATCH.get().input(length);
    chunk.getBytes(chunk.readerIndex(), bytes, 0, length);
    return accept(bytes, 0, length);
  }

  /**
   * The buffers a masker needs only while it reads a chunk, one set per thread: an event loop's
   * streams share them, rather than each keeping buffers the size of its largest chunk (or making
   * new ones for each chunk). What a masker keeps between chunks (an event cut by a chunk's end) it
   * copies.
   */
  private static final class Scratch {
    /** Larger buffers are not kept once a chunk is done. */
    private static final int KEPT_BYTES = 256 * 1024;

    private static final int INITIAL_BYTES = 16 * 1024;

    final Json.Bytes out = new Json.Bytes(INITIAL_BYTES);
    private byte[] input = new byte[INITIAL_BYTES];

    byte[] input(int length) {
      if (input.length < length) {
        input = new byte[Math.max(length, 2 * input.length)];
      }
      return input;
    }

    void trim() {
      if (input.length > KEPT_BYTES) {
        input = new byte[INITIAL_BYTES];
      }
      out.trim(KEPT_BYTES, INITIAL_BYTES);
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * The upstream stream ended. An unfinished event is discarded (as SSE clients do), and so is text
   * held back in a block that never ended and unfinished tool input: they could be the start of a
   * value.
   *
   * @return bytes to send before closing: none, as nothing held back may be sent
   */
  public byte[] finish() throws MaskingException {
    checkUsable();
    finished = true;
    for (Block block : blocks.values()) {
      if (block.text != null) {
        tally.addAll(block.text.counts()); // what it masked went out; what it held does not
      }
    }
    blocks.clear();
    event.clear();
    copying = false;
    lineCount = 0;
    return new byte[0];
  }

  /** Values masked so far, by detector ({@code field:<name>} for fields, {@code thinking}). */
  public Map<String, Long> counts() {
    Tally all = new Tally();
    all.addAll(tally.snapshot());
    for (Block block : blocks.values()) {
      if (block.text != null) {
        all.addAll(block.text.counts());
      }
    }
    return all.snapshot();
  }

  /** Whether a {@link MaskingException} ended this masker. */
  public boolean failed() {
    return failure != null;
  }

  private void checkUsable() throws MaskingException {
    if (failure != null) {
      throw new MaskingException("masking already failed: " + failure);
    }
    if (finished) {
      throw new IllegalStateException("the stream already finished");
    }
  }

  // --- framing ---

  // The current event's bytes are either in the chunk being read (evRaw is the chunk: no copy) or,
  // once an event spans chunks, in the event buffer (copying). Line offsets are into evRaw.
  private byte[] evRaw = new byte[0];
  private int evStart;
  private int evEnd;
  private boolean copying;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** The first CR or LF in {@code a[i, to)}, or {@code to}; eight bytes at a time. */
  static int nextLineBreak(byte[] a, int i, int to) {
    while (i + 8 <= to) {
      long word = (long) LONGS.get(a, i);
      long lf = word ^ 0x0A0A0A0A0A0A0A0AL;
      long cr = word ^ 0x0D0D0D0D0D0D0D0DL;
      long zero =
          ((lf - 0x0101010101010101L) & ~lf | (cr - 0x0101010101010101L) & ~cr)
              & 0x8080808080808080L;
      if (zero != 0) {
        return i + (Long.numberOfTrailingZeros(zero) >>> 3); // the lowest flagged byte is exact
      }
      i += 8;
    }
    while (i < to && a[i] != '\n' && a[i] != '\r') {
      i++;
    }
    return i;
  }

  private int eventLength(int at) {
    return copying ? event.length() : at - evStart;
  }

  /** Splits {@code chunk[from, to)} into lines and events, copying only events cut by its end. */
  private void frame(byte[] chunk, int from, int to) throws MaskingException {
    int i = from;
    if (!copying) {
      evRaw = chunk;
      evStart = i;
      lineStart = i;
    }
    while (i < to) {
      if (afterCarriageReturn) {
        afterCarriageReturn = false;
        if (chunk[i] == '\n') {
          i++;
          if (swallowLineFeed) {
            swallowLineFeed = false; // the LF of a CRLF ending an event we rewrote
          } else if (eventLength(i - 1) == 0 && lineCount == 0) {
            out.write('\n'); // the LF of a CRLF ending an event that went out as it came
          } else if (copying) {
            event.write('\n'); // the LF of a CRLF ending a line
            lineStart = event.length();
            continue;
          } else {
            lineStart = i;
            continue;
          }
          if (!copying) {
            evStart = i;
            lineStart = i;
          }
          continue;
        }
        swallowLineFeed = false;
      }
      if (!copying && i == evStart && lineCount == 0 && !atStreamStart && chunk[i] == 'e') {
        int next = canonicalTextDelta(chunk, i, to);
        if (next > 0) {
          i = next;
          evStart = i;
          lineStart = i;
          continue;
        }
      }
      int j = nextLineBreak(chunk, i, to);
      if (eventLength(i) + (j - i) >= maxEventBytes) {
        throw new MaskingException(
            "event " + (events + 1) + " is over the cap of " + maxEventBytes + " bytes");
      }
      if (copying) {
        event.write(chunk, i, j - i);
      }
      if (j == to) {
        break;
      }
      byte b = chunk[j];
      if (b == '\r') {
        afterCarriageReturn = true;
      }
      int lineEnd;
      if (copying) {
        event.write(b);
        lineEnd = event.length() - 1;
        evRaw = event.rawArray();
        evEnd = event.length();
      } else {
        lineEnd = j;
        evEnd = j + 1;
      }
      i = j + 1;
      if (endLine(lineEnd, copying ? event.length() : i)) {
        // The event ended: the next one starts here, in the chunk.
        copying = false;
        event.clear();
        evRaw = chunk;
        evStart = i;
        lineStart = i;
      }
    }
    if (!copying && to > evStart) {
      // An event cut by the end of the chunk: keep its bytes until the rest arrives.
      event.clear();
      event.write(chunk, evStart, to - evStart);
      for (int l = 0; l < 2 * lineCount; l++) {
        lines[l] -= evStart;
      }
      lineStart -= evStart;
      evStart = 0;
      copying = true;
      evRaw = event.rawArray();
    } else if (!copying) {
      evStart = 0;
      lineStart = 0;
    }
  }

  /**
   * A line ended at {@code end} (exclusive, before its terminator); the next starts at {@code
   * next}. Returns whether it was the empty line that ends an event (then dispatched).
   */
  private boolean endLine(int end, int next) throws MaskingException {
    int start = lineStart;
    lineStart = next;
    if (end > start) {
      if (2 * lineCount + 2 > lines.length) {
        lines = Arrays.copyOf(lines, lines.length * 2);
      }
      lines[2 * lineCount] = start;
      lines[2 * lineCount + 1] = end;
      lineCount++;
      return false;
    }
    boolean rewritten = dispatch();
    lineCount = 0;
    atStreamStart = false;
    swallowLineFeed = afterCarriageReturn && rewritten;
    return true;
  }

  /** Handles a complete event; returns whether it went out rewritten. */
  private boolean dispatch() throws MaskingException {
    events++;
    byte[] raw = rawBytes();
    String name = null;
    int dataStart = -1;
    int dataEnd = -1;
    Json.Bytes joined = null;
    for (int l = 0; l < lineCount; l++) {
      int start = lines[2 * l];
      int end = lines[2 * l + 1];
      if (l == 0 && atStreamStart && startsWithBom(raw, start, end)) {
        start += 3;
      }
      if (start == end || raw[start] == ':') {
        continue; // a comment (or only the byte order mark)
      }
      int colon = indexOf(raw, start, end, (byte) ':');
      int nameEnd = colon < 0 ? end : colon;
      int valueStart = colon < 0 ? end : colon + 1;
      if (valueStart < end && raw[valueStart] == ' ') {
        valueStart++;
      }
      if (is(raw, start, nameEnd, "event")) {
        name = eventName(raw, valueStart, end);
      } else if (is(raw, start, nameEnd, "data")) {
        if (dataStart < 0) {
          dataStart = valueStart;
          dataEnd = end;
        } else {
          if (joined == null) {
            joined = new Json.Bytes(2 * (dataEnd - dataStart));
            joined.write(raw, dataStart, dataEnd - dataStart);
          }
          joined.write('\n');
          joined.write(raw, valueStart, end - valueStart);
        }
      }
    }
    if (dataStart < 0) {
      out.write(raw, evStart, evEnd - evStart); // no data: clients do not dispatch it
      return false;
    }
    byte[] data = raw;
    if (joined != null) {
      data = joined.toByteArray();
      dataStart = 0;
      dataEnd = data.length;
    }
    return handle(name, data, dataStart, dataEnd, raw);
  }

  private byte[] rawBytes() {
    return copying ? event.rawArray() : evRaw;
  }

  private static final String[] KNOWN_EVENTS = {
    "content_block_delta",
    "content_block_start",
    "content_block_stop",
    "message_start",
    "message_delta",
    "message_stop",
    "ping",
    "error"
  };

  /** The event name, without a new string for the names the API uses. */
  private static String eventName(byte[] raw, int from, int to) {
    for (String known : KNOWN_EVENTS) {
      if (is(raw, from, to, known)) {
        return known;
      }
    }
    return new String(raw, from, to - from, StandardCharsets.UTF_8);
  }

  private static boolean startsWithBom(byte[] raw, int start, int end) {
    return end - start >= 3
        && raw[start] == (byte) 0xEF
        && raw[start + 1] == (byte) 0xBB
        && raw[start + 2] == (byte) 0xBF;
  }

  // --- events ---

  private boolean handle(String name, byte[] data, int from, int to, byte[] raw)
      throws MaskingException {
    int fast = fastTextDelta(name, data, from, to);
    if (fast >= 0) {
      return fastTextDelta(fast);
    }
    TextDelta parsed = parseTextDelta(name, data, from, to);
    if (parsed != null) {
      return textDelta(parsed.index(), parsed.text());
    }
    JsonNode tree;
    try {
      tree = Json.MAPPER.readTree(data, from, to - from);
    } catch (JsonProcessingException e) {
      throw fail(name, "data is not valid JSON" + Json.where(e));
    } catch (IOException e) {
      throw fail(name, "data could not be read");
    }
    if (!(tree instanceof ObjectNode root)) {
      throw fail(name, "data is not a JSON object");
    }
    JsonNode typeNode = root.get("type");
    String type = typeNode != null && typeNode.isTextual() ? typeNode.textValue() : null;
    if (type == null) {
      if (name != null && isMessagesEvent(name)) {
        throw fail(name, "data has no type");
      }
      passThrough();
      return false;
    }
    if (name != null && !name.equals(type) && (isMessagesEvent(name) || isMessagesEvent(type))) {
      throw fail(name, "the event name does not match its data's type '" + safe(type) + "'");
    }
    switch (type) {
      case "message_start" -> {
        return messageStart(root);
      }
      case "content_block_start" -> {
        return blockStart(root);
      }
      case "content_block_delta" -> {
        return blockDelta(root);
      }
      case "content_block_stop" -> {
        return blockStop(root);
      }
      default -> {
        passThrough(); // ping, message_delta, message_stop, error, and types added later
        return false;
      }
    }
  }

  private static boolean isMessagesEvent(String type) {
    return switch (type) {
      case "message_start",
          "content_block_start",
          "content_block_delta",
          "content_block_stop",
          "message_delta",
          "message_stop" ->
          true;
      default -> false;
    };
  }

  private MaskingException fail(String name, String problem) {
    return new MaskingException(
        "event " + events + (name == null ? "" : " (" + safe(name) + ")") + ": " + problem);
  }

  /** An event name or type for a message: short, and only if it looks like a name. */
  private static String safe(String s) {
    if (s.length() <= 40 && s.chars().allMatch(c -> c == '_' || Character.isLetterOrDigit(c))) {
      return s;
    }
    return "(not a name)";
  }

  private void passThrough() {
    out.write(rawBytes(), evStart, evEnd - evStart);
  }

  private boolean messageStart(ObjectNode root) throws MaskingException {
    JsonNode message = root.get("message");
    if (!(message instanceof ObjectNode object)) {
      throw fail("message_start", "no message object");
    }
    Tally found = new Tally();
    if (!content.maskMessage(object, found)) {
      passThrough();
      return false;
    }
    tally.addAll(found.snapshot());
    rewrite(root);
    return true;
  }

  private boolean blockStart(ObjectNode root) throws MaskingException {
    int index = index(root, "content_block_start");
    JsonNode node = root.get("content_block");
    if (!(node instanceof ObjectNode block)) {
      throw fail("content_block_start", "no content_block object");
    }
    if (blocks.containsKey(index)) {
      throw fail("content_block_start", "block " + index + " started twice");
    }
    String type = block.path("type").asText("");
    Kind kind =
        switch (type) {
          case "text" -> Kind.TEXT;
          case "thinking" -> Kind.THINKING;
          default -> ContentMasker.isToolUse(type) ? Kind.TOOL : Kind.OTHER;
        };
    Block state = new Block(kind, kind == Kind.TEXT ? masker.stream(content.replacer()) : null);
    blocks.put(index, state);
    ObjectNode replacement = content.replacement(block, tally);
    if (replacement != null) {
      root.set("content_block", replacement);
      rewrite(root);
      return true;
    }
    boolean changed = content.maskBlock(block, tally, true);
    if (kind == Kind.TEXT
        && block.get("text") instanceof TextNode text
        && !text.textValue().isEmpty()) {
      String decided = state.text.push(text.textValue());
      if (!decided.equals(text.textValue())) {
        block.put("text", decided);
        changed = true;
      }
    }
    if (!changed) {
      passThrough();
      return false;
    }
    rewrite(root);
    return true;
  }

  private boolean blockDelta(ObjectNode root) throws MaskingException {
    int index = index(root, "content_block_delta");
    JsonNode deltaNode = root.get("delta");
    if (!(deltaNode instanceof ObjectNode delta)) {
      throw fail("content_block_delta", "no delta object");
    }
    Block block = blocks.get(index);
    if (block == null) {
      throw fail("content_block_delta", "block " + index + " was not started");
    }
    String type = delta.path("type").asText("");
    switch (type) {
      case "text_delta" -> {
        JsonNode text = delta.get("text");
        if (text == null || !text.isTextual()) {
          throw fail("content_block_delta", "text_delta without text");
        }
        return textDelta(index, text.textValue(), root, delta);
      }
      case "input_json_delta" -> {
        JsonNode partial = delta.get("partial_json");
        if (partial == null || !partial.isTextual()) {
          throw fail("content_block_delta", "input_json_delta without partial_json");
        }
        if (block.kind != Kind.TOOL) {
          throw fail("content_block_delta", "input_json_delta in a block that is not tool use");
        }
        if (partial.textValue().isEmpty()) {
          passThrough();
          return false;
        }
        if (block.input.length() + partial.textValue().length() > maxToolInput) {
          throw fail(
              "content_block_delta",
              "tool input of block " + index + " is over the cap of " + maxToolInput + " chars");
        }
        block.input.append(partial.textValue());
        delta.put("partial_json", "");
        rewrite(root);
        return true;
      }
      case "thinking_delta", "signature_delta" -> {
        if (block.kind != Kind.THINKING) {
          throw fail("content_block_delta", type + " in a block that is not thinking");
        }
        if (thinking == ThinkingMode.LEAVE) {
          passThrough();
          return false;
        }
        rewriteData(PING_DATA, "ping");
        return true;
      }
      case "citations_delta" -> {
        JsonNode citation = delta.get("citation");
        Tally found = new Tally();
        if (citation == null || !content.maskNested(citation, found)) {
          passThrough();
          return false;
        }
        tally.addAll(found.snapshot());
        rewrite(root);
        return true;
      }
      default -> {
        // A delta type added later: where its content is, masking cannot know. In a text or tool
        // block it may carry what masking protects, so the stream fails closed; a dropped
        // thinking block drops it too; elsewhere it passes.
        if (block.kind == Kind.TEXT || block.kind == Kind.TOOL) {
          throw fail(
              "content_block_delta",
              "delta type '" + safe(type) + "' in block " + index + " is not known to masking");
        }
        if (block.kind == Kind.THINKING && thinking == ThinkingMode.DROP) {
          rewriteData(PING_DATA, "ping");
          return true;
        }
        passThrough();
        return false;
      }
    }
  }

  private boolean textDelta(int index, String text, ObjectNode root, ObjectNode delta)
      throws MaskingException {
    Block block = textBlock(index);
    String decided = block.text.push(text);
    if (block.text.unchanged()) {
      passThrough();
      return false;
    }
    delta.put("text", decided);
    rewrite(root);
    return true;
  }

  /** A text delta of the usual fields in another layout (key order, spaces, escapes). */
  private boolean textDelta(int index, String text) throws MaskingException {
    Block block = textBlock(index);
    String decided = block.text.push(text);
    if (block.text.unchanged()) {
      passThrough();
      return false;
    }
    char[] chars = decided.toCharArray();
    writeTextDelta(index, "text_delta", "text", chars, chars.length);
    return true;
  }

  private boolean blockStop(ObjectNode root) throws MaskingException {
    int index = index(root, "content_block_stop");
    Block block = blocks.remove(index);
    lastIndex = -1;
    lastBlock = null;
    if (block == null) {
      throw fail("content_block_stop", "block " + index + " was not started");
    }
    boolean added = false;
    if (block.kind == Kind.TEXT) {
      String rest = block.text.finish();
      tally.addAll(block.text.counts());
      if (!rest.isEmpty()) {
        addDelta(index, "text_delta", "text", rest);
        added = true;
      }
    } else if (block.kind == Kind.TOOL && block.input.length() > 0) {
      String input = block.input.toString();
      String masked = maskToolInput(index, input);
      addDelta(index, "input_json_delta", "partial_json", masked);
      added = true;
    }
    passThrough();
    return added;
  }

  private String maskToolInput(int index, String input) throws MaskingException {
    if (input.isBlank()) {
      return input;
    }
    JsonNode tree;
    try {
      tree = Json.MAPPER.readTree(input);
    } catch (JsonProcessingException e) {
      throw fail(
          "content_block_stop",
          "tool input of block " + index + " is not valid JSON" + Json.where(e));
    }
    Tally found = new Tally();
    if (!content.maskInput(tree, found)) {
      return input;
    }
    tally.addAll(found.snapshot());
    try {
      return Json.MAPPER.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw fail("content_block_stop", "masked tool input could not be written");
    }
  }

  private int index(ObjectNode root, String name) throws MaskingException {
    JsonNode index = root.get("index");
    if (index == null
        || !index.canConvertToInt()
        || !index.isIntegralNumber()
        || index.intValue() < 0) {
      throw fail(name, "no valid index");
    }
    return index.intValue();
  }

  // --- writing ---

  /** The current event with {@code data} replaced by {@code root}. */
  private void rewrite(ObjectNode root) throws MaskingException {
    byte[] json;
    try {
      json = Json.MAPPER.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw fail(null, "masked data could not be written");
    }
    rewriteData(json, null);
  }

  /** Writes the JSON of a rewritten event's data. */
  private interface DataWriter {
    void write(Json.Bytes to);
  }

  /**
   * Writes the current event's lines with the first {@code data} line's value written by {@code
   * data} and the other data lines dropped; {@code event} lines renamed to {@code rename} when
   * given. Other lines ({@code id}, {@code retry}, comments) are kept as they came.
   */
  private void rewriteEvent(DataWriter data, String rename) {
    byte[] raw = rawBytes();
    boolean dataWritten = false;
    for (int l = 0; l < lineCount; l++) {
      int start = lines[2 * l];
      int end = lines[2 * l + 1];
      if (l == 0 && atStreamStart && startsWithBom(raw, start, end)) {
        out.write(raw, start, 3); // keep the byte order mark where it was
        start += 3;
        if (start == end) {
          out.write('\n');
          continue;
        }
      }
      int colon = indexOf(raw, start, end, (byte) ':');
      int nameEnd = colon < 0 ? end : colon;
      if (raw[start] != ':' && is(raw, start, nameEnd, "data")) {
        if (!dataWritten) {
          out.writeAscii("data: ");
          data.write(out);
          out.write('\n');
          dataWritten = true;
        }
        continue;
      }
      if (rename != null && raw[start] != ':' && is(raw, start, nameEnd, "event")) {
        out.writeAscii("event: ");
        out.writeAscii(rename);
        out.write('\n');
        continue;
      }
      out.write(raw, start, end - start);
      out.write('\n');
    }
    out.write('\n');
  }

  private void rewriteData(byte[] data, String rename) {
    rewriteEvent(to -> to.write(data), rename);
  }

  /** The current event rewritten to carry {@code value[0, length)} as its delta's value. */
  private void writeTextDelta(int index, String deltaType, String field, char[] value, int length) {
    if (atStreamStart) {
      rewriteEvent(to -> writeDeltaJson(to, index, deltaType, field, value, length), null);
      return;
    }
    // The same as rewriteEvent, without a byte order mark to keep: the hot path, written out.
    byte[] raw = rawBytes();
    boolean dataWritten = false;
    for (int l = 0; l < lineCount; l++) {
      int start = lines[2 * l];
      int end = lines[2 * l + 1];
      if (raw[start] == 'd'
          && end - start >= 5
          && raw[start + 4] == ':'
          && is(raw, start, start + 4, "data")) {
        if (!dataWritten) {
          out.writeAscii("data: ");
          writeDeltaJson(out, index, deltaType, field, value, length);
          out.write('\n');
          dataWritten = true;
        }
        continue;
      }
      if (raw[start] == 'd' && end - start == 4 && is(raw, start, end, "data")) {
        continue; // "data" alone: an empty data line, dropped with the others
      }
      out.write(raw, start, end - start);
      out.write('\n');
    }
    out.write('\n');
  }

  /** A {@code content_block_delta} added before the current event. */
  private void addDelta(int index, String deltaType, String field, String value) {
    char[] chars = value.toCharArray();
    out.writeAscii("event: content_block_delta\ndata: ");
    writeDeltaJson(out, index, deltaType, field, chars, chars.length);
    out.writeAscii("\n\n");
  }

  /** How the API writes a delta up to its index, and a text delta from the index to its text. */
  private static final String DELTA_HEAD_JSON = "{\"type\":\"content_block_delta\",\"index\":";

  private static final String TEXT_DELTA_FIELDS = ",\"delta\":{\"type\":\"text_delta\",\"text\":";

  private static final byte[] DELTA_HEAD = DELTA_HEAD_JSON.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TEXT_DELTA_JSON =
      TEXT_DELTA_FIELDS.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] INPUT_DELTA_JSON =
      ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":"
          .getBytes(StandardCharsets.US_ASCII);

  private static void writeDeltaJson(
      Json.Bytes to, int index, String deltaType, String field, char[] value, int length) {
    to.write(DELTA_HEAD);
    to.writeInt(index);
    to.write(deltaType.equals("text_delta") ? TEXT_DELTA_JSON : INPUT_DELTA_JSON);
    to.writeJsonString(value, 0, length);
    to.write('}');
    to.write('}');
  }

  // --- the hot path: text deltas as the API writes them, without a JSON parser ---

  /** {@link #TEXT_DELTA_JSON} with the text's opening quote. */
  private static final byte[] DELTA_TEXT =
      (TEXT_DELTA_FIELDS + '"').getBytes(StandardCharsets.US_ASCII);

  /** Decodes the text of fast-path deltas that take the general framing (no indexing). */
  private final ScanText scratch = new ScanText();

  /**
   * Reads {@code {"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":S}}}
   * written exactly so (the API's shape, no spaces), decoding {@code S} into {@link #scratch};
   * returns {@code N}, or -1 for anything else: other shapes, escapes or bytes that are not valid
   * JSON or UTF-8 take the general path, which parses (and rejects) them fully.
   */
  private int fastTextDelta(String name, byte[] data, int from, int to) {
    if (name != null && !name.equals("content_block_delta")) {
      return -1;
    }
    if (!startsWith(data, from, to, DELTA_HEAD)) {
      return -1;
    }
    int p = deltaHead(data, from + DELTA_HEAD.length, to);
    if (p < 0) {
      return -1;
    }
    p = scratch.decodeJson(data, p, to, 0);
    if (p < 0 || p + 2 != to || data[p] != '}' || data[p + 1] != '}') {
      return -1;
    }
    return fastIndex;
  }

  /** The index read by {@link #deltaHead}. */
  private int fastIndex;

  /**
   * Reads {@code N,"delta":{"type":"text_delta","text":"} from {@code p}, after the head of a
   * delta: the index into {@link #fastIndex}. Returns the index after the text's opening quote, or
   * -1 when the bytes are not so.
   */
  private int deltaHead(byte[] data, int p, int to) {
    int first = p;
    int index = 0;
    int digits = 0;
    while (p < to && data[p] >= '0' && data[p] <= '9' && digits < 9) {
      index = index * 10 + (data[p++] - '0');
      digits++;
    }
    if (digits == 0 || (digits > 1 && data[first] == '0')) {
      return -1;
    }
    if (!startsWith(data, p, to, DELTA_TEXT)) {
      return -1;
    }
    fastIndex = index;
    return p + DELTA_TEXT.length;
  }

  /** A text delta event as the API frames it: its event line, then its data line, then its end. */
  private static final byte[] CANONICAL_HEAD =
      ("event: content_block_delta\ndata: " + DELTA_HEAD_JSON).getBytes(StandardCharsets.US_ASCII);

  /**
   * The hottest path: a whole text delta event at {@code chunk[i]}, framed and written exactly as
   * the API does ({@code event: content_block_delta}, one {@code data} line in the shape of {@link
   * #fastTextDelta(String, byte[], int, int)}, LF line ends), handled without splitting it into
   * lines. Returns the index after the event, or -1 when it is not such an event or does not end in
   * this chunk: then nothing was done, and the general framing reads it. What goes out is what the
   * general path writes for the same event.
   */
  private int canonicalTextDelta(byte[] chunk, int i, int to) throws MaskingException {
    if (!startsWith(chunk, i, to, CANONICAL_HEAD)) {
      return -1;
    }
    int p = deltaHead(chunk, i + CANONICAL_HEAD.length, to);
    if (p < 0) {
      return -1;
    }
    Block block = openTextBlock(fastIndex);
    if (block == null) {
      return -1; // the general path reports it
    }
    // The text is decoded (and indexed) straight into the block's stream, after what it holds.
    TextStream stream = block.text;
    textStart = p;
    p = stream.decodeJson(chunk, p, to);
    if (p < 0) {
      return -1;
    }
    if (p + 4 > to
        || chunk[p] != '}'
        || chunk[p + 1] != '}'
        || chunk[p + 2] != '\n'
        || chunk[p + 3] != '\n'
        || p + 4 - i >= maxEventBytes) {
      stream.dropDecoded();
      return -1;
    }
    textAscii = stream.decodedAscii();
    events++;
    evRaw = chunk;
    evStart = i;
    evEnd = p + 4;
    stream.pushDecoded();
    if (stream.unchanged()) {
      passThrough();
    } else {
      writeCanonical(stream, chunk);
    }
    return p + 4;
  }

  /** The canonical text delta event carrying what {@code stream} decided. */
  private void writeCanonical(TextStream stream, byte[] chunk) {
    CharSink decided = stream.decidedText();
    out.write(CANONICAL_HEAD);
    out.writeInt(fastIndex);
    out.write(TEXT_DELTA_JSON);
    out.write('"');
    // The chars of the piece that go out as they came are copied as they came: already JSON.
    int tail = textAscii ? stream.verbatimTail() : 0;
    out.writeJsonChars(decided.chars, 0, decided.length - tail);
    out.write(chunk, textStart, tail);
    out.write(CANONICAL_END_QUOTED);
  }

  private static final byte[] CANONICAL_END_QUOTED = {'"', '}', '}', '\n', '\n'};

  private record TextDelta(int index, String text) {}

  /**
   * Reads a text delta with exactly the fields {@code type}, {@code index} and {@code delta} (of
   * {@code type} and {@code text}) in any order and spacing, with a streaming parser; null for
   * anything else, which then takes the general path (and its checks).
   */
  private static TextDelta parseTextDelta(String name, byte[] data, int from, int to) {
    if (name != null && !name.equals("content_block_delta")) {
      return null;
    }
    try (JsonParser p = Json.FACTORY.createParser(data, from, to - from)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String type = null;
      int index = -1;
      String deltaType = null;
      String text = null;
      JsonToken token;
      while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("type") && value == JsonToken.VALUE_STRING) {
          type = p.getText();
        } else if (field.equals("index")
            && value == JsonToken.VALUE_NUMBER_INT
            && p.getNumberType() == JsonParser.NumberType.INT) {
          index = p.getIntValue();
        } else if (field.equals("delta") && value == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String deltaField = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
              return null;
            }
            if (deltaField.equals("type")) {
              deltaType = p.getText();
            } else if (deltaField.equals("text")) {
              text = p.getText();
            } else {
              return null;
            }
          }
        } else {
          return null;
        }
      }
      if (token != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null;
      }
      if ("content_block_delta".equals(type)
          && "text_delta".equals(deltaType)
          && text != null
          && index >= 0) {
        return new TextDelta(index, text);
      }
      return null;
    } catch (IOException e) {
      return null; // the general path reports it
    }
  }

  private static boolean startsWith(byte[] data, int from, int to, byte[] prefix) {
    return to - from >= prefix.length
        && Arrays.equals(data, from, from + prefix.length, prefix, 0, prefix.length);
  }

  /** Where the (escaped) text of the canonical delta starts in its bytes. */
  private int textStart;

  /**
   * Whether those bytes were plain ASCII without escapes: then each char of the text is the byte at
   * the same offset, and any part of the bytes is that part of the text written as JSON.
   */
  private boolean textAscii;

  /** The block of the last fast-path delta: blocks stream one after another. */
  private int lastIndex = -1;

  private Block lastBlock;

  /** A fast-path text delta for block {@code index}, its text decoded in {@link #scratch}. */
  private boolean fastTextDelta(int index) throws MaskingException {
    Block block = textBlock(index);
    block.text.pushChars(scratch.chars, scratch.length, scratch.decoded);
    if (block.text.unchanged()) {
      passThrough();
      return false;
    }
    CharSink decided = block.text.decidedText();
    writeTextDelta(index, "text_delta", "text", decided.chars, decided.length);
    return true;
  }

  /** The open text block {@code index}, or null when there is none. */
  private Block openTextBlock(int index) {
    Block block = index == lastIndex ? lastBlock : blocks.get(index);
    if (block == null || block.kind != Kind.TEXT) {
      return null;
    }
    lastIndex = index;
    lastBlock = block;
    return block;
  }

  /** The open text block {@code index} for a text delta; fails when there is none. */
  private Block textBlock(int index) throws MaskingException {
    Block block = openTextBlock(index);
    if (block != null) {
      return block;
    }
    if (!blocks.containsKey(index)) {
      throw fail("content_block_delta", "block " + index + " was not started");
    }
    throw fail("content_block_delta", "text_delta in a block that is not text");
  }

  private static int indexOf(byte[] bytes, int from, int to, byte b) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static boolean is(byte[] raw, int from, int to, String field) {
    if (to - from != field.length()) {
      return false;
    }
    for (int i = 0; i < field.length(); i++) {
      if (raw[from + i] != field.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
