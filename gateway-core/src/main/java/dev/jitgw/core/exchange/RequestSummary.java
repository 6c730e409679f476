package dev.jitgw.core.exchange;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What policy, limits, approvals and audit need to know about a request, parsed once from the
 * buffered body (contract section 4, {@code request}).
 *
 * @param method HTTP method
 * @param path path without the query string
 * @param headers request headers by lower-case name, credentials removed
 * @param model the {@code model} field, or {@code ""}
 * @param maxTokens the {@code max_tokens} field, or 0
 * @param stream the {@code stream} field
 * @param tools the {@code tools} as name and type
 * @param skills {@code container.skills}
 * @param system all system text, joined
 * @param text all system and user text, joined
 * @param size body bytes
 * @param estimatedInputTokens a worst-case estimate of the input tokens
 * @param estimatedCostUsd worst case: estimated input plus {@code max_tokens}, priced per model
 */
public record RequestSummary(
    String method,
    String path,
    Map<String, String> headers,
    String model,
    long maxTokens,
    boolean stream,
    List<Tool> tools,
    List<Skill> skills,
    String system,
    String text,
    long size,
    long estimatedInputTokens,
    double estimatedCostUsd) {

  public RequestSummary {
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    headers = Map.copyOf(headers);
    requireNonNull(model, "model");
    tools = List.copyOf(tools);
    skills = List.copyOf(skills);
    requireNonNull(system, "system");
    requireNonNull(text, "text");
  }

  /**
   * A tool the request offers the model. Both fields are strings, never null (policy conditions and
   * their element guards rely on it).
   */
  public record Tool(String name, String type) {
    public Tool {
      requireNonNull(name, "name");
      requireNonNull(type, "type");
    }
  }

  /** A skill from {@code container.skills}; its fields are strings, never null, like a tool's. */
  public record Skill(String skillId, String type, String version) {
    public Skill {
      requireNonNull(skillId, "skillId");
      requireNonNull(type, "type");
      requireNonNull(version, "version");
    }
  }

  /** The fields of the CEL variable {@code request}, in order (docs/policy.md, "Variables"). */
  public static final List<String> CEL_FIELDS =
      List.of(
          "method",
          "path",
          "headers",
          "model",
          "max_tokens",
          "stream",
          "tools",
          "skills",
          "system",
          "text",
          "size",
          "estimated_input_tokens",
          "estimated_cost_usd");

  /** The summary as the CEL variable {@code request}: each of {@link #CEL_FIELDS}. */
  public Map<String, Object> toCelValue() {
    Map<String, Object> value = new LinkedHashMap<>();
    for (String field : CEL_FIELDS) {
      value.put(field, celField(field));
    }
    return value;
  }

  /**
   * One field of {@link #toCelValue()}, converted on its own.
   *
   * @throws IllegalArgumentException for a name not in {@link #CEL_FIELDS}
   */
  public Object celField(String field) {
    return switch (field) {
      case "method" -> method;
      case "path" -> path;
      case "headers" -> headers;
      case "model" -> model;
      case "max_tokens" -> maxTokens;
      case "stream" -> stream;
      case "tools" ->
          tools.stream()
              .map(t -> Map.<String, Object>of("name", t.name(), "type", t.type()))
              .toList();
      case "skills" ->
          skills.stream()
              .map(
                  s ->
                      Map.<String, Object>of(
                          "skill_id", s.skillId(), "type", s.type(), "version", s.version()))
              .toList();
      case "system" -> system;
      case "text" -> text;
      case "size" -> size;
      case "estimated_input_tokens" -> estimatedInputTokens;
      case "estimated_cost_usd" -> estimatedCostUsd;
      default -> throw new IllegalArgumentException("request has no field '" + field + "'");
    };
  }
}
