package dev.jitgw.policy.masking;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.core.config.ConfigLoader;

/** Reads the {@code masking} section from policy YAML, as the policy loader does. */
final class PolicyYaml {
  private PolicyYaml() {}

  static JsonNode masking(String yaml) {
    try {
      return ConfigLoader.newMapper().readTree(yaml).get("masking");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
