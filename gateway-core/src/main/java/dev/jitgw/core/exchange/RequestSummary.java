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

  /** The summary as the CEL variable {@code request}. */
  public Map<String, Object> toCelValue() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("method", method);
    value.put("path", path);
    value.put("headers", headers);
    value.put("model", model);
    value.put("max_tokens", maxTokens);
    value.put("stream", stream);
    value.put(
        "tools",
        tools.stream()
            .map(t -> Map.<String, Object>of("name", t.name(), "type", t.type()))
            .toList());
    value.put(
        "skills",
        skills.stream()
            .map(
                s ->
                    Map.<String, Object>of(
                        "skill_id", s.skillId(), "type", s.type(), "version", s.version()))
            .toList());
    value.put("system", system);
    value.put("text", text);
    value.put("size", size);
    value.put("estimated_input_tokens", estimatedInputTokens);
    value.put("estimated_cost_usd", estimatedCostUsd);
    return value;
  }
}
