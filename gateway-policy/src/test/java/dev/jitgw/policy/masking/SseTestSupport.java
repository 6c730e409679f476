package dev.jitgw.policy.masking;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds Messages API event streams, reads them back, and accumulates them as the SDKs do. */
final class SseTestSupport {
  private SseTestSupport() {}

  static final ObjectMapper JSON = new ObjectMapper();

  /** A JSON object with its keys in the order given, as the API writes them. */
  static Map<String, Object> obj(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  record Event(String name, String data, String id) {
    JsonNode json() {
      try {
        return JSON.readTree(data);
      } catch (Exception e) {
        throw new AssertionError("event data is not JSON: " + data, e);
      }
    }
  }

  /** Writes events as the API does: {@code event:} and {@code data:} lines, LF endings. */
  static final class Stream {
    private final StringBuilder text = new StringBuilder();

    Stream event(String name, Object data) {
      try {
        String json = data instanceof String s ? s : JSON.writeValueAsString(data);
        text.append("event: ").append(name).append('\n').append("data: ").append(json);
        text.append("\n\n");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return this;
    }

    Stream raw(String raw) {
      text.append(raw);
      return this;
    }

    Stream messageStart() {
      return event(
          "message_start",
          obj(
              "type",
              "message_start",
              "message",
              obj(
                  "id", "msg_01",
                  "type", "message",
                  "role", "assistant",
                  "model", "claude-sonnet-4-5",
                  "content", List.of(),
                  "usage", obj("input_tokens", 25, "output_tokens", 1))));
    }

    Stream blockStart(int index, Map<String, Object> block) {
      return event(
          "content_block_start",
          obj("type", "content_block_start", "index", index, "content_block", block));
    }

    Stream textBlock(int index, List<String> deltas) {
      blockStart(index, obj("type", "text", "text", ""));
      for (String delta : deltas) {
        delta(index, obj("type", "text_delta", "text", delta));
      }
      return blockStop(index);
    }

    Stream toolBlock(int index, String id, List<String> partials) {
      blockStart(index, obj("type", "tool_use", "id", id, "name", "run", "input", obj()));
      for (String partial : partials) {
        delta(index, obj("type", "input_json_delta", "partial_json", partial));
      }
      return blockStop(index);
    }

    Stream thinkingBlock(int index, List<String> deltas, String signature) {
      blockStart(index, obj("type", "thinking", "thinking", ""));
      for (String delta : deltas) {
        delta(index, obj("type", "thinking_delta", "thinking", delta));
      }
      delta(index, obj("type", "signature_delta", "signature", signature));
      return blockStop(index);
    }

    Stream delta(int index, Map<String, Object> delta) {
      return event(
          "content_block_delta",
          obj("type", "content_block_delta", "index", index, "delta", delta));
    }

    Stream blockStop(int index) {
      return event("content_block_stop", obj("type", "content_block_stop", "index", index));
    }

    Stream ping() {
      return raw("event: ping\ndata: {\"type\": \"ping\"}\n\n");
    }

    Stream messageEnd() {
      event(
          "message_delta",
          obj(
              "type",
              "message_delta",
              "delta",
              obj("stop_reason", "end_turn"),
              "usage",
              obj("output_tokens", 15)));
      return event("message_stop", obj("type", "message_stop"));
    }

    byte[] bytes() {
      return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }

  /** Feeds {@code bytes} cut at the sorted positions {@code cuts}; returns all output. */
  static byte[] feed(SseMasker masker, byte[] bytes, int... cuts) throws MaskingException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int from = 0;
    for (int cut : cuts) {
      out.writeBytes(masker.accept(bytes, from, cut - from));
      from = cut;
    }
    out.writeBytes(masker.accept(bytes, from, bytes.length - from));
    out.writeBytes(masker.finish());
    return out.toByteArray();
  }

  /** Parses a server-sent event stream (WHATWG rules) into its dispatched events. */
  static List<Event> parse(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    List<Event> events = new ArrayList<>();
    String name = null;
    String id = null;
    StringBuilder data = null;
    int i = 0;
    while (i < text.length()) {
      int end = i;
      while (end < text.length() && text.charAt(end) != '\n' && text.charAt(end) != '\r') {
        end++;
      }
      if (end == text.length()) {
        break; // an unterminated line is never dispatched
      }
      String line = text.substring(i, end);
      i =
          end
              + (text.charAt(end) == '\r' && end + 1 < text.length() && text.charAt(end + 1) == '\n'
                  ? 2
                  : 1);
      if (line.isEmpty()) {
        if (data != null) {
          events.add(new Event(name == null ? "message" : name, data.toString(), id));
        }
        name = null;
        data = null;
        continue;
      }
      if (line.startsWith(":")) {
        continue;
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "event" -> name = value;
        case "data" ->
            data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
        case "id" -> id = value;
        default -> {}
      }
    }
    return events;
  }

  /**
   * Accumulates a stream into the final message the way the official SDKs do (the Java SDK's {@code
   * MessageAccumulator}): failing where they fail.
   */
  static ObjectNode accumulate(List<Event> events) {
    ObjectNode message = null;
    Map<Integer, ObjectNode> blocks = new TreeMap<>();
    Map<Integer, StringBuilder> inputs = new TreeMap<>();
    boolean stopped = false;
    for (Event event : events) {
      if (event.name().equals("ping")) {
        continue;
      }
      JsonNode data = event.json();
      assertThat(data.path("type").asText()).as("event name and type").isEqualTo(event.name());
      assertThat(stopped).as("event after message_stop").isFalse();
      switch (event.name()) {
        case "message_start" -> message = ((ObjectNode) data.get("message")).deepCopy();
        case "content_block_start" -> {
          int index = data.get("index").asInt();
          assertThat(blocks).as("block %d started twice", index).doesNotContainKey(index);
          blocks.put(index, ((ObjectNode) data.get("content_block")).deepCopy());
        }
        case "content_block_delta" -> {
          int index = data.get("index").asInt();
          ObjectNode block = blocks.get(index);
          assertThat(block).as("delta for block %d before its start", index).isNotNull();
          JsonNode delta = data.get("delta");
          String blockType = block.get("type").asText();
          switch (delta.get("type").asText()) {
            case "text_delta" -> {
              assertThat(blockType).isEqualTo("text");
              block.put("text", block.get("text").asText() + delta.get("text").asText());
            }
            case "input_json_delta" -> {
              assertThat(blockType).isIn("tool_use", "server_tool_use");
              inputs
                  .computeIfAbsent(index, k -> new StringBuilder())
                  .append(delta.get("partial_json").asText());
            }
            case "thinking_delta" -> {
              assertThat(blockType).isEqualTo("thinking");
              block.put(
                  "thinking", block.get("thinking").asText() + delta.get("thinking").asText());
            }
            case "signature_delta" -> {
              assertThat(blockType).isEqualTo("thinking");
              block.put("signature", delta.get("signature").asText());
            }
            case "citations_delta" -> {
              JsonNode citations = block.get("citations");
              ArrayNode list = citations instanceof ArrayNode a ? a : block.putArray("citations");
              list.add(delta.get("citation"));
            }
            default -> throw new AssertionError("unknown delta " + delta);
          }
        }
        case "content_block_stop" -> {
          int index = data.get("index").asInt();
          ObjectNode block = blocks.get(index);
          assertThat(block).as("stop for block %d before its start", index).isNotNull();
          String type = block.get("type").asText();
          if (type.equals("tool_use") || type.equals("server_tool_use")) {
            assertThat(inputs).as("tool use without input delta").containsKey(index);
            String json = inputs.get(index).toString();
            if (!json.isBlank()) {
              try {
                block.set("input", JSON.readTree(json));
              } catch (Exception e) {
                throw new AssertionError("tool input is not JSON: " + json, e);
              }
            }
          }
        }
        case "message_delta" -> {
          assertThat(message).isNotNull();
          JsonNode stop = data.path("delta").path("stop_reason");
          if (!stop.isMissingNode()) {
            message.set("stop_reason", stop);
          }
        }
        case "message_stop" -> {
          assertThat(message).isNotNull();
          ArrayNode content = JsonNodeFactory.instance.arrayNode();
          blocks.values().forEach(content::add);
          message.set("content", content);
          stopped = true;
        }
        default -> {}
      }
    }
    assertThat(stopped).as("message_stop received").isTrue();
    return message;
  }
}
