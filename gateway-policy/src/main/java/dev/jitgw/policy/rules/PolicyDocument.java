package dev.jitgw.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;

/**
 * The policy file as written (contract section 4), before compilation. Bound with the config
 * mapper: snake_case keys, unknown keys refused, durations like {@code 5m}.
 */
record PolicyDocument(
    Integer version, List<RuleSpec> rules, JsonNode masking, List<FederationSpec> federation) {

  record RuleSpec(String name, String when, String deny, ApproveSpec approve, AllowSpec allow) {}

  record ApproveSpec(
      List<String> approvers, Duration timeout, Duration grant, Integer minApprovals) {}

  record AllowSpec(List<String> mask, LimitsSpec limits, String route) {}

  record LimitsSpec(
      Integer requestsPerMinute,
      Long tokensPerMinute,
      Long tokensPerDay,
      Double costPerDayUsd,
      Boolean perGroup) {}

  record FederationSpec(String id, String when, Duration tokenLifetime, List<String> groups) {}
}
