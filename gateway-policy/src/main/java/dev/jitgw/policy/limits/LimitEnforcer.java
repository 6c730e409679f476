package dev.jitgw.policy.limits;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.Exchange;
import dev.jitgw.core.exchange.PriceTable;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reserves a request's worst case against the limits its allow rule sets (contract section 4,
 * {@code limits}), before the request is forwarded, so that concurrent requests cannot together
 * overshoot a limit. The {@link Reservation} it hands back is settled to the actual usage when the
 * exchange ends.
 *
 * <p>Per scope (below) it charges:
 *
 * <ul>
 *   <li>{@code requests_per_minute}: 1 request;
 *   <li>{@code tokens_per_minute}, {@code tokens_per_day}: the estimated input tokens plus {@code
 *       max_tokens};
 *   <li>{@code cost_per_day_usd}: the same tokens priced by {@link CostMeter} (the formula of
 *       {@code request.estimated_cost_usd}, in exact micro-dollars).
 * </ul>
 *
 * <p>Scope: the counters belong to the caller ({@code iss} and {@code sub}). With {@code
 * per_group}, the rule's limits apply to each group the identity has, and every one of them must
 * have room (a caller in two groups spends from both); an identity without groups is limited as
 * itself. Counters are keyed by scope, not by rule: two rules limiting the same scope share its
 * counters, each checking them against its own limit.
 *
 * <p>Refusals are 429s with {@code retry-after} ({@code details.retry_after_seconds}): {@code
 * rate_limited} for the per-minute limits, {@code budget_exceeded} for the daily token and cost
 * budgets (contract section 2: "token or cost budget spent"). A limit below zero counts as zero
 * (nothing passes): a bad policy fails closed.
 */
public final class LimitEnforcer {
  private final LimitStore store;
  private final CostMeter meter;
  private final Clock clock;

  public LimitEnforcer(LimitStore store, PriceTable prices, Clock clock) {
    this.store = requireNonNull(store, "store");
    this.meter = new CostMeter(requireNonNull(prices, "prices"));
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Reserves for the exchange's identity and summary under its allow decision.
   *
   * @return the reservation; or a stage failed with a {@link GatewayException} ({@code
   *     rate_limited}, {@code budget_exceeded}) when a limit has no room, or with an {@link
   *     IllegalStateException} when the exchange has no identity, summary or allow decision yet
   *     (the limit stage runs after the policy stage)
   */
  public CompletionStage<Reservation> reserve(Exchange exchange) {
    Identity identity = exchange.identity().orElse(null);
    RequestSummary summary = exchange.summary().orElse(null);
    Decision decision = exchange.decision().orElse(null);
    if (identity == null || summary == null || !(decision instanceof Decision.Allow allow)) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "limits are reserved after the policy allowed the request: " + exchange));
    }
    return reserve(identity, summary, allow);
  }

  /**
   * Reserves the worst case of {@code summary} for {@code identity} against {@code allow}'s limits;
   * {@link Reservation#none()} when the rule sets none.
   *
   * @return the reservation; or a stage failed with a {@link GatewayException} ({@code
   *     rate_limited}, {@code budget_exceeded}) when a limit has no room, and then nothing was
   *     counted
   */
  public CompletionStage<Reservation> reserve(
      Identity identity, RequestSummary summary, Decision.Allow allow) {
    requireNonNull(identity, "identity");
    requireNonNull(summary, "summary");
    requireNonNull(allow, "allow");
    Optional<Decision.Limits> configured = allow.limits();
    if (configured.isEmpty()) {
      return CompletableFuture.completedFuture(Reservation.none());
    }
    Decision.Limits limits = configured.get();
    long inputTokens = Math.max(0, summary.estimatedInputTokens());
    long maxTokens = Math.max(0, summary.maxTokens());
    long tokens = saturatedAdd(inputTokens, maxTokens);
    long costMicros = meter.worstCaseMicros(summary.model(), inputTokens, maxTokens);
    List<LimitStore.Charge> charges = new ArrayList<>();
    for (String scope : scopes(identity, limits.perGroup())) {
      limits
          .requestsPerMinute()
          .ifPresent(
              limit ->
                  charges.add(
                      charge(scope, CounterKey.Kind.REQUESTS, CounterKey.Window.MINUTE, 1, limit)));
      limits
          .tokensPerMinute()
          .ifPresent(
              limit ->
                  charges.add(
                      charge(
                          scope, CounterKey.Kind.TOKENS, CounterKey.Window.MINUTE, tokens, limit)));
      limits
          .tokensPerDay()
          .ifPresent(
              limit ->
                  charges.add(
                      charge(scope, CounterKey.Kind.TOKENS, CounterKey.Window.DAY, tokens, limit)));
      limits
          .costPerDayUsd()
          .ifPresent(
              usd ->
                  charges.add(
                      charge(
                          scope,
                          CounterKey.Kind.COST_MICROS,
                          CounterKey.Window.DAY,
                          costMicros,
                          CostMeter.budgetMicros(usd))));
    }
    if (charges.isEmpty()) {
      return CompletableFuture.completedFuture(Reservation.none());
    }
    return store
        .reserve(charges)
        .thenApply(
            result -> {
              if (result instanceof LimitStore.Refused refused) {
                throw new GatewayException(refusal(refused, allow));
              }
              LimitStore.Admitted admitted = (LimitStore.Admitted) result;
              return new Reservation(
                  store, meter, summary.model(), admitted.held(), tokens, costMicros);
            });
  }

  /**
   * The scopes whose counters a request of {@code identity} is charged to: the identity's distinct
   * groups when {@code perGroup} and it has any, otherwise the identity itself.
   */
  public static List<String> scopes(Identity identity, boolean perGroup) {
    if (perGroup && !identity.groups().isEmpty()) {
      LinkedHashSet<String> groups = new LinkedHashSet<>();
      for (String group : identity.groups()) {
        groups.add(CounterKey.group(group));
      }
      return List.copyOf(groups);
    }
    return List.of(CounterKey.subject(identity.issuer(), identity.subject()));
  }

  /** Whole seconds until {@code roomAt}, rounded up, at least 1. */
  static long retryAfterSeconds(Instant now, Instant roomAt) {
    long millis = Duration.between(now, roomAt).toMillis();
    return Math.max(1, (millis + 999) / 1000);
  }

  private GatewayError refusal(LimitStore.Refused refused, Decision.Allow allow) {
    CounterKey key = refused.key();
    long retryAfter = retryAfterSeconds(clock.instant(), refused.roomAt());
    String limitName = limitName(key);
    boolean budget = key.window() == CounterKey.Window.DAY;
    String who =
        key.scope().startsWith("group:")
            ? "group '" + key.scope().substring("group:".length()) + "'"
            : "this identity";
    String message;
    if (refused.neverFits()) {
      message =
          "This request may use up to "
              + amount(key, refused.requested())
              + " (estimated input plus max_tokens), more than the "
              + describe(key, refused.limit())
              + " allowed for "
              + who
              + " by rule '"
              + allow.ruleName()
              + "'; lower max_tokens or shorten the input.";
    } else if (key.kind() == CounterKey.Kind.REQUESTS) {
      message =
          "Rate limit of "
              + describe(key, refused.limit())
              + " for "
              + who
              + " is reached (rule '"
              + allow.ruleName()
              + "'); retry after "
              + retryAfter
              + " s.";
    } else {
      message =
          (budget ? "Budget of " : "Rate limit of ")
              + describe(key, refused.limit())
              + " for "
              + who
              + (budget ? " is spent" : " is reached")
              + " (rule '"
              + allow.ruleName()
              + "'): "
              + amount(key, refused.used())
              + " used, this request may use up to "
              + amount(key, refused.requested())
              + "; retry after "
              + retryAfter
              + " s.";
    }
    GatewayError error =
        GatewayError.of(budget ? ErrorCode.BUDGET_EXCEEDED : ErrorCode.RATE_LIMITED, message)
            .withDetail("rule", allow.ruleName())
            .withDetail("limit", limitName)
            .withDetail("retry_after_seconds", retryAfter);
    if (key.scope().startsWith("group:")) {
      error = error.withDetail("group", key.scope().substring("group:".length()));
    }
    return error;
  }

  private static String limitName(CounterKey key) {
    return switch (key.kind()) {
      case REQUESTS -> "requests_per_" + key.window().id();
      case TOKENS -> "tokens_per_" + key.window().id();
      case COST_MICROS -> "cost_per_" + key.window().id() + "_usd";
    };
  }

  private static String describe(CounterKey key, long limit) {
    return amount(key, limit) + " per " + key.window().id();
  }

  private static String amount(CounterKey key, long amount) {
    return switch (key.kind()) {
      case REQUESTS -> amount + (amount == 1 ? " request" : " requests");
      case TOKENS -> amount + (amount == 1 ? " token" : " tokens");
      case COST_MICROS ->
          "$" + BigDecimal.valueOf(amount).movePointLeft(6).setScale(2, RoundingMode.CEILING);
    };
  }

  private static LimitStore.Charge charge(
      String scope, CounterKey.Kind kind, CounterKey.Window window, long amount, long limit) {
    return new LimitStore.Charge(new CounterKey(scope, kind, window), amount, Math.max(0, limit));
  }

  private static long saturatedAdd(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }
}
