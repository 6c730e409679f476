package dev.jitgw.core.decision;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** What the policy decided for one request: a closed set, recorded with the rule's name. */
public sealed interface Decision {

  /** The deciding rule; empty when no rule matched. */
  Optional<String> rule();

  /** Forward the request, with these obligations. */
  record Allow(String ruleName, List<String> mask, Optional<Limits> limits, Optional<String> route)
      implements Decision {
    public Allow {
      mask = List.copyOf(mask);
    }

    @Override
    public Optional<String> rule() {
      return Optional.of(ruleName);
    }
  }

  /** Refuse: 403 {@code policy_denied}. */
  record Deny(Optional<String> ruleName, String reason) implements Decision {
    @Override
    public Optional<String> rule() {
      return ruleName;
    }
  }

  /** Hold until a human approver decides (contract section 5). */
  record Hold(
      String ruleName,
      List<String> approvers,
      Duration timeout,
      Optional<Duration> grant,
      int minApprovals)
      implements Decision {
    public Hold {
      approvers = List.copyOf(approvers);
    }

    @Override
    public Optional<String> rule() {
      return Optional.of(ruleName);
    }
  }

  /** Per-identity limits an allow rule sets. */
  record Limits(
      Optional<Integer> requestsPerMinute,
      Optional<Long> tokensPerMinute,
      Optional<Long> tokensPerDay,
      Optional<Double> costPerDayUsd,
      boolean perGroup) {}
}
