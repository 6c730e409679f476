package dev.jitgw.policy.masking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Masks Messages API content held as JSON trees, in place: message bodies, content blocks, tool
 * input. Shared by {@link JsonBodyMasker} and {@link SseMasker}, so a streamed response accumulates
 * to what the same response would be unstreamed.
 *
 * <ul>
 *   <li>{@code text} blocks: the text, and the strings of their citations.
 *   <li>{@code tool_use}, {@code server_tool_use}, {@code mcp_tool_use}: every string in {@code
 *       input}, at any depth; {@code fields} replace values whole.
 *   <li>{@code thinking}: left, or replaced by {@code redacted_thinking} ({@link ThinkingMode}).
 *       {@code redacted_thinking}: left (it is encrypted).
 *   <li>other blocks (server tool results and blocks added later): every string except opaque keys
 *       (ids, signatures, encrypted content, media types); {@code fields} below the block's own
 *       keys, so that no field can break the Messages API shape.
 * </ul>
 */
final class ContentMasker {
  /** The {@code data} of a {@code redacted_thinking} block that replaced a thinking block. */
  static final String REDACTED_THINKING_DATA = "[MASKED:thinking]";

  /** Count key for thinking blocks dropped. */
  static final String THINKING = "thinking";

  /** Values of these keys are identifiers or opaque data: never rewritten by detectors. */
  private static final Set<String> OPAQUE =
      Set.of(
          "type",
          "id",
          "tool_use_id",
          "name",
          "server_name",
          "signature",
          "data",
          "encrypted_content",
          "encrypted_index",
          "file_id",
          "media_type",
          "cache_control");

  private static final Set<String> TOOL_USE = Set.of("tool_use", "server_tool_use", "mcp_tool_use");

  private final Masker masker;
  private final Set<String> fields; // lower case
  private final ThinkingMode thinking;
  private final Replacer replacer; // null: [MASKED:<detector>]

  ContentMasker(Masker masker, Set<String> fields, ThinkingMode thinking, Replacer replacer) {
    this.masker = masker;
    this.fields = fields;
    this.thinking = thinking;
    this.replacer = replacer;
  }

  /** How values are replaced; null for {@code [MASKED:<detector>]}. */
  Replacer replacer() {
    return replacer;
  }

  /** What the value of field {@code key} is replaced with. */
  private String fieldReplacement(String key, JsonNode value) {
    String count = fieldCount(key);
    return replacer == null ? Masker.replacement(count) : replacer.field(count, value);
  }

  static boolean isToolUse(String blockType) {
    return TOOL_USE.contains(blockType);
  }

  boolean isField(String key) {
    return !fields.isEmpty() && fields.contains(key.toLowerCase(Locale.ROOT));
  }

  static String fieldCount(String key) {
    return "field:" + key.toLowerCase(Locale.ROOT);
  }

  /**
   * Masks a JSON body: messages wherever they are (an object with {@code "type": "message"} and a
   * {@code content} array), and {@code fields} anywhere outside them. Returns whether anything
   * changed.
   */
  boolean maskBody(JsonNode node, Tally tally) {
    if (node instanceof ObjectNode object) {
      if (isMessage(object)) {
        return maskMessage(object, tally);
      }
      boolean changed = false;
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        if (isField(entry.getKey())) {
          entry.setValue(TextNode.valueOf(fieldReplacement(entry.getKey(), entry.getValue())));
          tally.add(fieldCount(entry.getKey()), 1);
          changed = true;
        } else {
          changed |= maskBody(entry.getValue(), tally);
        }
      }
      return changed;
    }
    if (node instanceof ArrayNode array) {
      boolean changed = false;
      for (JsonNode item : array) {
        changed |= maskBody(item, tally);
      }
      return changed;
    }
    return false;
  }

  private static boolean isMessage(ObjectNode object) {
    return "message".equals(object.path("type").asText(null)) && object.get("content") != null;
  }

  /** Masks each content block of a message. */
  boolean maskMessage(ObjectNode message, Tally tally) {
    JsonNode content = message.get("content");
    if (!(content instanceof ArrayNode blocks)) {
      return false;
    }
    boolean changed = false;
    for (int i = 0; i < blocks.size(); i++) {
      if (blocks.get(i) instanceof ObjectNode block) {
        ObjectNode replacement = replacement(block, tally);
        if (replacement != null) {
          blocks.set(i, replacement);
          changed = true;
        } else {
          changed |= maskBlock(block, tally, false);
        }
      }
    }
    return changed;
  }

  /** The block that takes the place of {@code block} (a dropped thinking block), or null. */
  ObjectNode replacement(ObjectNode block, Tally tally) {
    if (thinking == ThinkingMode.DROP && "thinking".equals(block.path("type").asText(""))) {
      tally.add(THINKING, 1);
      return redactedThinking();
    }
    return null;
  }

  /**
   * Masks one content block in place; returns whether anything changed. With {@code streamedText},
   * a text block's {@code text} is left to the caller's {@link TextStream}.
   */
  boolean maskBlock(ObjectNode block, Tally tally, boolean streamedText) {
    String type = block.path("type").asText("");
    if (type.equals("thinking") || type.equals("redacted_thinking")) {
      return false; // signed or encrypted: never rewritten in place
    }
    boolean changed = false;
    for (Iterator<Map.Entry<String, JsonNode>> it = block.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String key = entry.getKey();
      JsonNode value = entry.getValue();
      if (isToolUse(type)) {
        if (key.equals("input")) {
          changed |= maskInput(value, tally);
        }
      } else if (type.equals("text") && key.equals("text")) {
        if (!streamedText && value.isTextual()) {
          changed |= maskString(entry, tally);
        }
      } else if (OPAQUE.contains(key)) {
        continue;
      } else if (value.isTextual()) {
        changed |= maskString(entry, tally);
      } else {
        changed |= maskNested(value, tally);
      }
    }
    return changed;
  }

  static ObjectNode redactedThinking() {
    ObjectNode block = JsonNodeFactory.instance.objectNode();
    block.put("type", "redacted_thinking");
    block.put("data", REDACTED_THINKING_DATA);
    return block;
  }

  /** Tool input: every string at any depth, {@code fields} at any depth. */
  boolean maskInput(JsonNode node, Tally tally) {
    if (node instanceof ObjectNode object) {
      boolean changed = false;
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        if (isField(entry.getKey())) {
          entry.setValue(TextNode.valueOf(fieldReplacement(entry.getKey(), entry.getValue())));
          tally.add(fieldCount(entry.getKey()), 1);
          changed = true;
        } else if (entry.getValue().isTextual()) {
          changed |= maskString(entry, tally);
        } else {
          changed |= maskInput(entry.getValue(), tally);
        }
      }
      return changed;
    }
    if (node instanceof ArrayNode array) {
      boolean changed = false;
      for (int i = 0; i < array.size(); i++) {
        JsonNode item = array.get(i);
        if (item.isTextual()) {
          MaskResult result = masker.mask(item.textValue(), replacer);
          if (result.changed()) {
            array.set(i, TextNode.valueOf(result.text()));
            tally.addAll(result.counts());
            changed = true;
          }
        } else {
          changed |= maskInput(item, tally);
        }
      }
      return changed;
    }
    return false;
  }

  /**
   * Below a block's own keys (tool results, citations): strings except opaque keys, {@code fields}
   * at any depth.
   */
  boolean maskNested(JsonNode node, Tally tally) {
    if (node instanceof ObjectNode object) {
      boolean changed = false;
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        String key = entry.getKey();
        if (isField(key)) {
          entry.setValue(TextNode.valueOf(fieldReplacement(key, entry.getValue())));
          tally.add(fieldCount(key), 1);
          changed = true;
        } else if (OPAQUE.contains(key)) {
          continue;
        } else if (entry.getValue().isTextual()) {
          changed |= maskString(entry, tally);
        } else {
          changed |= maskNested(entry.getValue(), tally);
        }
      }
      return changed;
    }
    if (node instanceof ArrayNode array) {
      boolean changed = false;
      for (int i = 0; i < array.size(); i++) {
        JsonNode item = array.get(i);
        if (item.isTextual()) {
          MaskResult result = masker.mask(item.textValue(), replacer);
          if (result.changed()) {
            array.set(i, TextNode.valueOf(result.text()));
            tally.addAll(result.counts());
            changed = true;
          }
        } else {
          changed |= maskNested(item, tally);
        }
      }
      return changed;
    }
    return false;
  }

  private boolean maskString(Map.Entry<String, JsonNode> entry, Tally tally) {
    MaskResult result = masker.mask(entry.getValue().textValue(), replacer);
    if (!result.changed()) {
      return false;
    }
    entry.setValue(TextNode.valueOf(result.text()));
    tally.addAll(result.counts());
    return true;
  }
}
