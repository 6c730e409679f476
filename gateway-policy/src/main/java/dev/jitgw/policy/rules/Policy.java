package dev.jitgw.policy.rules;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.masking.MaskingPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A compiled, checked policy: ordered rules whose CEL conditions were type-checked once. The first
 * rule whose {@code when} holds decides; no match denies. A condition that fails to evaluate (a
 * missing claim, a type mismatch at run time) denies too: the gateway fails closed.
 *
 * <p>Immutable and thread-safe; a reload builds a new instance and swaps it in whole.
 */
public final class Policy {
  private final String source;
  private final String version;
  private final List<Rule> rules;
  // The trace entries of a rule that held or did not, one per rule: built with the policy rather
  // than concatenated for every rule of every request.
  private final List<RuleTrace> matched;
  private final List<RuleTrace> notMatched;
  private final List<FederationProfile> federation;
  private final MaskingPolicy masking;

  /** Whether any rule has an identity guard; if not, {@link #passedOver} is never consulted. */
  private final boolean guarded;

  /**
   * Per identity (by reference: the token verifier hands out one instance per cached token), the
   * rules an identity guard rules out. Kept as long as the identity is and at most {@link
   * #GUARD_CACHE_SIZE} of them; a policy reload starts afresh with the new policy.
   */
  private final Cache<Identity, boolean[]> passedOver =
      Caffeine.newBuilder()
          .weakKeys()
          .maximumSize(GUARD_CACHE_SIZE)
          // Upkeep on the caller's thread: a few reads' worth of work, cheaper than waking a pool.
          .executor(Runnable::run)
          .build();

  private static final int GUARD_CACHE_SIZE = 10_000;

  Policy(
      String source,
      String version,
      List<Rule> rules,
      List<FederationProfile> federation,
      MaskingPolicy masking) {
    this.source = requireNonNull(source, "source");
    this.version = requireNonNull(version, "version");
    this.rules = List.copyOf(rules);
    this.matched =
        this.rules.stream().map(r -> new RuleTrace(r.name(), Outcome.MATCHED, r.when())).toList();
    this.notMatched =
        this.rules.stream()
            .map(r -> new RuleTrace(r.name(), Outcome.NOT_MATCHED, r.when() + " is false"))
            .toList();
    this.federation = List.copyOf(federation);
    this.masking = requireNonNull(masking, "masking");
    this.guarded = this.rules.stream().anyMatch(r -> !r.identityGuards().isEmpty());
  }

  /** Where the policy came from: a file path, or {@code built-in}. */
  public String source() {
    return source;
  }

  /** A hash of the policy's bytes, recorded with every decision. */
  public String version() {
    return version;
  }

  public List<Rule> rules() {
    return rules;
  }

  public List<FederationProfile> federation() {
    return federation;
  }

  /** The compiled masking section: profiles (built-in and the policy's) and custom detectors. */
  public MaskingPolicy masking() {
    return masking;
  }

  /**
   * One compiled rule.
   *
   * @param identityGuards the conjuncts of {@code when} that read the identity alone ({@link
   *     IdentityGuards}): when one is false for an identity, the rule never holds for it
   * @param elementGuards the conjuncts of {@code when} that ask whether the request offers a tool
   *     or skill of some kind ({@link ElementGuards}): when one does not hold for a request, the
   *     rule does not
   */
  public record Rule(
      String name,
      String when,
      int line,
      CelRuntime.Program condition,
      List<CelRuntime.Program> identityGuards,
      List<ElementGuards.Guard> elementGuards,
      Decision outcome) {

    public Rule {
      identityGuards = List.copyOf(identityGuards);
      elementGuards = List.copyOf(elementGuards);
    }
  }

  /** One access profile for the token endpoint. */
  public record FederationProfile(
      String id,
      String when,
      int line,
      CelRuntime.Program condition,
      Duration tokenLifetime,
      List<String> groups) {}

  /** How one rule fared for a request, for {@code policy test} and the audit log. */
  public record RuleTrace(String rule, Outcome outcome, String detail) {}

  public enum Outcome {
    MATCHED,
    NOT_MATCHED,
    ERROR
  }

  /** The decision and how each rule up to the deciding one evaluated. */
  public record Evaluation(Decision decision, List<RuleTrace> trace, String policyVersion) {}

  public Evaluation evaluate(Identity identity, RequestSummary request, Instant now) {
    CelVariables variables = CelVariables.of(identity, request, now);
    boolean[] skip = guarded ? passedOver.get(identity, this::passedOverFor) : null;
    List<RuleTrace> trace = new ArrayList<>(rules.size());
    for (int i = 0; i < rules.size(); i++) {
      Rule rule = rules.get(i);
      if (skip != null && skip[i]) {
        // An identity guard is false, so the whole condition is: as evaluated, without the work.
        trace.add(notMatched.get(i));
        continue;
      }
      if (!holds(rule.elementGuards(), request)) {
        // The request has no tool or skill the condition requires: false, without the work.
        trace.add(notMatched.get(i));
        continue;
      }
      Object result;
      try {
        result = rule.condition().eval(variables);
      } catch (CelEvaluationException | RuntimeException e) {
        String detail = "could not be evaluated: " + e.getMessage();
        trace.add(new RuleTrace(rule.name(), Outcome.ERROR, detail));
        return new Evaluation(
            new Decision.Deny(
                Optional.of(rule.name()),
                "rule '" + rule.name() + "' " + detail + " (denied: the gateway fails closed)"),
            trace,
            version);
      }
      if (Boolean.TRUE.equals(result)) {
        trace.add(matched.get(i));
        return new Evaluation(rule.outcome(), trace, version);
      }
      trace.add(notMatched.get(i));
    }
    return new Evaluation(
        new Decision.Deny(Optional.empty(), "no policy rule matched this request"), trace, version);
  }

  private static boolean holds(List<ElementGuards.Guard> guards, RequestSummary request) {
    for (int g = 0; g < guards.size(); g++) {
      if (!guards.get(g).holds(request)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Which rules cannot hold for {@code identity}: those with an identity guard that evaluates to
   * {@code false}. A guard that errs or holds rules nothing out; the rule is evaluated whole.
   */
  private boolean[] passedOverFor(Identity identity) {
    boolean[] skip = new boolean[rules.size()];
    // The guards read no request and no clock; the variables only need the identity.
    CelVariables variables = CelVariables.withoutRequest(identity, Instant.EPOCH);
    for (int i = 0; i < rules.size(); i++) {
      for (CelRuntime.Program guard : rules.get(i).identityGuards()) {
        try {
          if (Boolean.FALSE.equals(guard.eval(variables))) {
            skip[i] = true;
            break;
          }
        } catch (CelEvaluationException | RuntimeException e) {
          // Not ruled out: the full condition decides, and reports the error if it has one.
        }
      }
    }
    return skip;
  }

  /** The profile named {@code id} if its condition holds for {@code identity}. */
  public Optional<FederationProfile> federationFor(String id, Identity identity, Instant now) {
    for (FederationProfile profile : federation) {
      if (!profile.id().equals(id)) {
        continue;
      }
      try {
        Object result = profile.condition().eval(CelVariables.withoutRequest(identity, now));
        return Boolean.TRUE.equals(result) ? Optional.of(profile) : Optional.empty();
      } catch (CelEvaluationException | RuntimeException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
