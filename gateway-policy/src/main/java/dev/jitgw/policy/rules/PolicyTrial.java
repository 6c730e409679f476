package dev.jitgw.policy.rules;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.identity.ClaimPath;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A policy tried on a sample identity and request, as {@code jitgw policy test} prints it and the
 * admin UI's draft editor shows it ({@code POST /api/policy/check}): the decision, and for each
 * rule tried in order its outcome and, for a rule that did not match, the value of each part of its
 * condition (see {@link RuleExplainer}). Not used on the request path.
 */
public final class PolicyTrial {
  private PolicyTrial() {}

  /**
   * One rule as it was tried.
   *
   * @param parts for a rule that did not match: each top-level {@code &&} part and its value;
   *     otherwise empty
   */
  public record Step(
      String rule, Policy.Outcome outcome, String detail, List<RuleExplainer.Part> parts) {}

  /** The decision, with the rules tried to reach it. */
  public record Result(Identity identity, Policy.Evaluation evaluation, List<Step> steps) {
    public Decision decision() {
      return evaluation.decision();
    }
  }

  /**
   * The identity a token with {@code claims} would have, its groups read at {@code groupsClaim};
   * without an {@code exp} claim it expires 5 minutes after {@code now}.
   */
  public static Identity identity(Map<String, Object> claims, String groupsClaim, Instant now) {
    requireNonNull(claims, "claims");
    Object exp = claims.get("exp");
    Instant expires =
        exp instanceof Number seconds
            ? Instant.ofEpochSecond(seconds.longValue())
            : now.plusSeconds(300);
    Object purpose = claims.get("purpose");
    return new Identity(
        text(claims.get("sub")),
        text(claims.get("iss")),
        ClaimPath.stringsAt(claims, groupsClaim),
        purpose == null ? Optional.empty() : Optional.of(String.valueOf(purpose)),
        claims,
        expires,
        Optional.empty());
  }

  private static String text(Object value) {
    return value == null ? "unknown" : String.valueOf(value);
  }

  /** Evaluates {@code policy} for the sample and explains every rule that did not match. */
  public static Result run(Policy policy, Identity identity, RequestSummary request, Instant now) {
    Policy.Evaluation evaluation = policy.evaluate(identity, request, now);
    List<Step> steps = new ArrayList<>();
    for (Policy.RuleTrace trace : evaluation.trace()) {
      List<RuleExplainer.Part> parts = List.of();
      if (trace.outcome() == Policy.Outcome.NOT_MATCHED) {
        String when =
            policy.rules().stream()
                .filter(rule -> rule.name().equals(trace.rule()))
                .findFirst()
                .map(Policy.Rule::when)
                .orElse("");
        parts = RuleExplainer.explain(when, identity, request, now);
      }
      steps.add(new Step(trace.rule(), trace.outcome(), trace.detail(), parts));
    }
    return new Result(identity, evaluation, List.copyOf(steps));
  }

  /** The decision in one line: {@code allow (rule r) mask=[secrets]}, {@code deny: ...}. */
  public static String describe(Decision decision) {
    if (decision instanceof Decision.Allow allow) {
      return "allow (rule "
          + allow.ruleName()
          + ")"
          + (allow.mask().isEmpty() ? "" : " mask=" + allow.mask())
          + allow.limits().map(PolicyTrial::describe).orElse("")
          + allow.route().map(r -> " route=" + r).orElse("");
    }
    if (decision instanceof Decision.Hold hold) {
      return "hold for approval (rule "
          + hold.ruleName()
          + ") by "
          + hold.approvers()
          + " within "
          + hold.timeout()
          + hold.grant().map(g -> ", grant " + g).orElse("");
    }
    Decision.Deny deny = (Decision.Deny) decision;
    return "deny" + deny.rule().map(r -> " (rule " + r + ")").orElse("") + ": " + deny.reason();
  }

  private static String describe(Decision.Limits limits) {
    List<String> parts = new ArrayList<>();
    limits.requestsPerMinute().ifPresent(v -> parts.add("requests_per_minute=" + v));
    limits.tokensPerMinute().ifPresent(v -> parts.add("tokens_per_minute=" + v));
    limits.tokensPerDay().ifPresent(v -> parts.add("tokens_per_day=" + v));
    limits.costPerDayUsd().ifPresent(v -> parts.add("cost_per_day_usd=" + v));
    if (limits.perGroup()) {
      parts.add("per_group");
    }
    return " limits={" + String.join(", ", parts) + "}";
  }
}
