package dev.jitgw.policy.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.Exchange;
import dev.jitgw.core.exchange.PriceTable;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.limits.CounterKey.Kind;
import dev.jitgw.policy.limits.CounterKey.Window;
import dev.jitgw.policy.testing.MutableClock;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LimitEnforcerTest {
  private static final Instant T0 = Instant.parse("2026-11-29T10:00:15.250Z");
  private static final PriceTable PRICES = PriceTable.defaults();
  private static final String SONNET = "claude-sonnet-4-5";

  private final MutableClock clock = new MutableClock(T0);
  private final InMemoryLimitStore store = new InMemoryLimitStore(clock);
  private final LimitEnforcer enforcer = new LimitEnforcer(store, PRICES, clock);

  static Identity identity(String subject, String... groups) {
    return new Identity(
        subject,
        "https://idp.example",
        List.of(groups),
        Optional.empty(),
        Map.of(),
        T0.plus(Duration.ofHours(1)),
        Optional.empty());
  }

  static RequestSummary summary(String model, long estimatedInputTokens, long maxTokens) {
    return new RequestSummary(
        "POST",
        "/v1/messages",
        Map.of(),
        model,
        maxTokens,
        false,
        List.of(),
        List.of(),
        "",
        "",
        estimatedInputTokens * 4,
        estimatedInputTokens,
        PRICES.worstCaseUsd(model, estimatedInputTokens, maxTokens));
  }

  static Decision.Allow allow(
      Integer requestsPerMinute,
      Long tokensPerMinute,
      Long tokensPerDay,
      Double costPerDayUsd,
      boolean perGroup) {
    return new Decision.Allow(
        "everyone",
        List.of(),
        Optional.of(
            new Decision.Limits(
                Optional.ofNullable(requestsPerMinute),
                Optional.ofNullable(tokensPerMinute),
                Optional.ofNullable(tokensPerDay),
                Optional.ofNullable(costPerDayUsd),
                perGroup)),
        Optional.empty());
  }

  private static final Identity ALICE = identity("alice");
  private static final CounterKey ALICE_REQUESTS =
      new CounterKey(
          CounterKey.subject("https://idp.example", "alice"), Kind.REQUESTS, Window.MINUTE);
  private static final CounterKey ALICE_TOKENS_MINUTE =
      new CounterKey(
          CounterKey.subject("https://idp.example", "alice"), Kind.TOKENS, Window.MINUTE);
  private static final CounterKey ALICE_TOKENS_DAY =
      new CounterKey(CounterKey.subject("https://idp.example", "alice"), Kind.TOKENS, Window.DAY);
  private static final CounterKey ALICE_COST =
      new CounterKey(
          CounterKey.subject("https://idp.example", "alice"), Kind.COST_MICROS, Window.DAY);

  /** Reserves, and answers the refusal the stage failed with. */
  private GatewayError refusal(Identity identity, RequestSummary summary, Decision.Allow allow) {
    CompletableFuture<Reservation> stage =
        enforcer.reserve(identity, summary, allow).toCompletableFuture();
    assertThat(stage).as("expected a refusal").isCompletedExceptionally();
    Throwable cause = catchThrowable(stage::join).getCause();
    assertThat(cause).isInstanceOf(GatewayException.class);
    return ((GatewayException) cause).error();
  }

  /** Reserves, expecting an admission. */
  private Reservation reserve(Identity identity, RequestSummary summary, Decision.Allow allow) {
    CompletableFuture<Reservation> stage =
        enforcer.reserve(identity, summary, allow).toCompletableFuture();
    assertThat(stage).as("expected an admission").isCompleted();
    return stage.join();
  }

  @Test
  void reservesOneRequestTheWorstCaseTokensAndTheWorstCaseCost() {
    Reservation reservation =
        reserve(ALICE, summary(SONNET, 1000, 2000), allow(60, 100_000L, 1_000_000L, 10.0, false));

    assertThat(reservation.worstCaseTokens()).isEqualTo(3000);
    // 1000 input tokens at $3/M plus 2000 output tokens at $15/M = $0.033.
    assertThat(reservation.worstCaseCostMicros()).isEqualTo(33_000);
    assertThat(store.usedNow(ALICE_REQUESTS, T0)).isEqualTo(1);
    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, T0)).isEqualTo(3000);
    assertThat(store.usedNow(ALICE_TOKENS_DAY, T0)).isEqualTo(3000);
    assertThat(store.usedNow(ALICE_COST, T0)).isEqualTo(33_000);
    assertThat(reservation.held()).hasSize(4);
  }

  @Test
  void aRuleWithoutLimitsReservesNothing() {
    Reservation none =
        reserve(
            ALICE,
            summary(SONNET, 10, 10),
            new Decision.Allow("free", List.of(), Optional.empty(), Optional.empty()));
    assertThat(none.held()).isEmpty();
    assertThat(none.settle(new Usage(1, 1, 0, 0))).isTrue();
    assertThat(store.size()).isZero();
  }

  @Test
  void theRequestRateRefusesWithRateLimitedAndRetryAfterTheMinute() {
    Decision.Allow allow = allow(2, null, null, null, false);
    reserve(ALICE, summary(SONNET, 10, 10), allow);
    reserve(ALICE, summary(SONNET, 10, 10), allow);

    GatewayError error = refusal(ALICE, summary(SONNET, 10, 10), allow);

    assertThat(error.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(error.status()).isEqualTo(429);
    // 10:00:15.250 -> 10:01:00 is 44.75 s, rounded up.
    assertThat(error.details())
        .containsEntry("retry_after_seconds", 45L)
        .containsEntry("limit", "requests_per_minute")
        .containsEntry("rule", "everyone");
    assertThat(error.message()).contains("2 requests per minute", "retry after 45 s");
    assertThat(store.usedNow(ALICE_REQUESTS, T0)).isEqualTo(2);
  }

  @Test
  void aRefusedTokenCounterLeavesTheRequestCounterUntouched() {
    Decision.Allow allow = allow(60, 5000L, null, null, false);
    reserve(ALICE, summary(SONNET, 1000, 3000), allow);

    GatewayError error = refusal(ALICE, summary(SONNET, 1000, 1000), allow);

    assertThat(error.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(error.details()).containsEntry("limit", "tokens_per_minute");
    assertThat(error.message()).contains("4000 tokens used", "up to 2000 tokens");
    assertThat(store.usedNow(ALICE_REQUESTS, T0)).isEqualTo(1);
    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, T0)).isEqualTo(4000);
  }

  @ParameterizedTest
  @CsvSource({
    // clock offset (ms) after 10:00:00, expected retry-after of a minute window
    "0, 60",
    "15250, 45",
    "59000, 1",
    "59999, 1",
  })
  void retryAfterCountsWholeSecondsUntilTheWindowEndsAndIsAtLeastOne(long offset, long expected) {
    clock.advance(Duration.between(T0, Instant.parse("2026-11-29T10:00:00Z")).plusMillis(offset));
    Decision.Allow allow = allow(1, null, null, null, false);
    reserve(ALICE, summary(SONNET, 1, 1), allow);
    assertThat(refusal(ALICE, summary(SONNET, 1, 1), allow).details())
        .containsEntry("retry_after_seconds", expected);
  }

  @Test
  void spentDailyBudgetsAreBudgetExceededUntilMidnightUtc() {
    Decision.Allow tokens = allow(null, null, 5000L, null, false);
    reserve(ALICE, summary(SONNET, 2000, 2000), tokens);
    GatewayError tokenError = refusal(ALICE, summary(SONNET, 1000, 1000), tokens);
    assertThat(tokenError.code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
    // 10:00:15.250 -> 24:00:00 is 50384.75 s.
    assertThat(tokenError.details())
        .containsEntry("retry_after_seconds", 50_385L)
        .containsEntry("limit", "tokens_per_day");

    Decision.Allow cost = allow(null, null, null, 0.05, false);
    GatewayError costError = refusal(ALICE, summary("claude-opus-4-1", 1000, 1000), cost);
    assertThat(costError.code()).isEqualTo(ErrorCode.BUDGET_EXCEEDED);
    assertThat(costError.details()).containsEntry("limit", "cost_per_day_usd");
    assertThat(costError.message()).contains("$0.05 per day", "up to $0.09");

    clock.advance(Duration.ofHours(14));
    assertThat(reserve(ALICE, summary(SONNET, 1000, 1000), tokens).held()).hasSize(1);
  }

  @Test
  void aRequestLargerThanTheLimitIsToldToAskForLess() {
    GatewayError error =
        refusal(ALICE, summary(SONNET, 1000, 64_000), allow(null, 50_000L, null, null, false));
    assertThat(error.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(error.message()).contains("65000 tokens", "lower max_tokens");
    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, T0)).isZero();
  }

  @Test
  void settleCorrectsTokensAndCostDownAndUpOnlyOnce() {
    Decision.Allow allow = allow(60, 100_000L, 1_000_000L, 10.0, false);
    Reservation down = reserve(ALICE, summary(SONNET, 1000, 2000), allow);
    Reservation up = reserve(ALICE, summary(SONNET, 1000, 2000), allow);
    assertThat(store.usedNow(ALICE_TOKENS_DAY, T0)).isEqualTo(6000);

    assertThat(down.settle(new Usage(300, 200, 0, 0))).isTrue();
    assertThat(store.usedNow(ALICE_TOKENS_DAY, T0)).isEqualTo(3000 + 500);
    assertThat(store.usedNow(ALICE_COST, T0)).isEqualTo(33_000 + 900 + 3000);

    // More than the worst case (the input estimate was low): counted as used.
    assertThat(up.settle(new Usage(1500, 2000, 0, 0))).isTrue();
    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, T0)).isEqualTo(500 + 3500);
    assertThat(store.usedNow(ALICE_COST, T0)).isEqualTo(3900 + 4500 + 30_000);

    assertThat(down.settle(new Usage(100_000, 0, 0, 0))).isFalse();
    assertThat(up.release()).isFalse();
    assertThat(up.keepWorstCase()).isFalse();
    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, T0)).isEqualTo(4000);
    assertThat(store.usedNow(ALICE_REQUESTS, T0)).isEqualTo(2);
  }

  @Test
  void releaseGivesTheWorstCaseBackAndKeepWorstCaseKeepsIt() {
    Decision.Allow allow = allow(60, 100_000L, null, 10.0, false);
    Reservation released = reserve(ALICE, summary(SONNET, 1000, 2000), allow);
    Reservation unknown = reserve(ALICE, summary(SONNET, 1000, 2000), allow);

    assertThat(released.release()).isTrue();
    assertThat(unknown.keepWorstCase()).isTrue();
    assertThat(released.isSettled()).isTrue();
    assertThat(unknown.settle(Usage.ZERO)).isFalse();

    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, T0)).isEqualTo(3000);
    assertThat(store.usedNow(ALICE_COST, T0)).isEqualTo(33_000);
    assertThat(store.usedNow(ALICE_REQUESTS, T0)).isEqualTo(2);
  }

  @Test
  void aStoreThatCannotSettleLeavesTheWorstCaseCounted() {
    LimitStore unreachable =
        new LimitStore() {
          @Override
          public CompletionStage<Result> reserve(List<Charge> charges) {
            return store.reserve(charges);
          }

          @Override
          public CompletionStage<Void> settle(List<Adjustment> adjustments) {
            return CompletableFuture.failedFuture(new IllegalStateException("store unreachable"));
          }

          @Override
          public CompletionStage<Long> used(CounterKey key, Instant at) {
            return store.used(key, at);
          }

          @Override
          public void close() {}
        };
    Reservation reservation =
        new LimitEnforcer(unreachable, PRICES, clock)
            .reserve(ALICE, summary(SONNET, 100, 100), allow(null, 1000L, null, null, false))
            .toCompletableFuture()
            .join();
    assertThat(reservation.settle(new Usage(1, 1, 0, 0))).isTrue();
    assertThat(reservation.settle(Usage.ZERO)).isFalse();
    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, T0)).isEqualTo(200);
  }

  @Test
  void cachedTokensAreCountedAndPricedAsBilled() {
    Reservation reservation =
        reserve(ALICE, summary(SONNET, 20_000, 1000), allow(null, 1_000_000L, null, 10.0, false));
    reservation.settle(new Usage(100, 50, 2000, 10_000));
    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, T0)).isEqualTo(12_150);
    // 100 x 3 + 50 x 15 + 2000 x 3.75 + 10000 x 0.3 micro-dollars
    assertThat(store.usedNow(ALICE_COST, T0)).isEqualTo(300 + 750 + 7500 + 3000);
  }

  @Test
  void aSettleAfterTheMinuteRolledOverCorrectsTheDayItWasMadeIn() {
    Decision.Allow allow = allow(null, 10_000L, 1_000_000L, null, false);
    Reservation first = reserve(ALICE, summary(SONNET, 1000, 1000), allow);
    clock.advance(Duration.ofMinutes(1));
    reserve(ALICE, summary(SONNET, 1000, 1000), allow);

    first.settle(new Usage(100, 100, 0, 0));

    assertThat(store.usedNow(ALICE_TOKENS_DAY, clock.instant())).isEqualTo(200 + 2000);
    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, clock.instant())).isEqualTo(2000);
  }

  @Test
  void perGroupLimitsApplyToEveryGroupOfTheIdentity() {
    Decision.Allow allow = allow(2, null, null, null, true);
    CounterKey eng = new CounterKey(CounterKey.group("eng"), Kind.REQUESTS, Window.MINUTE);
    CounterKey ml = new CounterKey(CounterKey.group("ml"), Kind.REQUESTS, Window.MINUTE);
    Identity alice = identity("alice", "eng", "ml", "eng");

    reserve(alice, summary(SONNET, 1, 1), allow);
    assertThat(store.usedNow(eng, T0)).isEqualTo(1);
    assertThat(store.usedNow(ml, T0)).isEqualTo(1);
    reserve(identity("bob", "eng"), summary(SONNET, 1, 1), allow);
    reserve(identity("carol", "ml"), summary(SONNET, 1, 1), allow);

    GatewayError dave = refusal(identity("dave", "ml"), summary(SONNET, 1, 1), allow);
    assertThat(dave.details()).containsEntry("group", "ml");
    assertThat(dave.message()).contains("group 'ml'");

    // Alice's eng has no room: her ml counter is not charged either.
    GatewayError again = refusal(alice, summary(SONNET, 1, 1), allow);
    assertThat(again.details()).containsKey("group");
    assertThat(store.usedNow(eng, T0)).isEqualTo(2);
    assertThat(store.usedNow(ml, T0)).isEqualTo(2);
    assertThat(store.usedNow(ALICE_REQUESTS, T0)).isZero();

    // Erin is in neither group: her groups' counters are her own.
    reserve(identity("erin", "ops"), summary(SONNET, 1, 1), allow);
    // Without groups, a per-group limit applies to the identity itself.
    Identity frank = identity("frank");
    reserve(frank, summary(SONNET, 1, 1), allow);
    reserve(frank, summary(SONNET, 1, 1), allow);
    assertThat(refusal(frank, summary(SONNET, 1, 1), allow).details()).doesNotContainKey("group");
  }

  @Test
  void theSameSubjectFromAnotherIssuerHasItsOwnCounters() {
    Decision.Allow allow = allow(1, null, null, null, false);
    reserve(ALICE, summary(SONNET, 1, 1), allow);
    Identity otherAlice =
        new Identity(
            "alice",
            "https://token.actions.githubusercontent.com",
            List.of(),
            Optional.empty(),
            Map.of(),
            T0.plus(Duration.ofHours(1)),
            Optional.empty());
    assertThat(reserve(otherAlice, summary(SONNET, 1, 1), allow).held()).hasSize(1);
  }

  @Test
  void negativeLimitsFailClosed() {
    GatewayError error = refusal(ALICE, summary(SONNET, 1, 1), allow(-1, null, null, null, false));
    assertThat(error.code()).isEqualTo(ErrorCode.RATE_LIMITED);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // kind, admitted of 100: the limit fits exactly that many worst cases
    "cost_per_day_usd, 37",
    "tokens_per_day, 50",
    "tokens_per_minute, 1",
    "requests_per_minute, 99",
  })
  void concurrentReservationsNeverAdmitMoreThanTheBudgetFits(String kind, int fits)
      throws Exception {
    // Each request: 1000 input + 1000 output tokens on Sonnet = 2000 tokens, $0.018.
    RequestSummary request = summary(SONNET, 1000, 1000);
    Decision.Allow allow =
        switch (kind) {
          // As a policy file would say it: the decimal budget, e.g. 0.666 for 37.
          case "cost_per_day_usd" ->
              allow(null, null, null, BigDecimal.valueOf(18_000L * fits, 6).doubleValue(), false);
          case "tokens_per_day" -> allow(null, null, 2000L * fits, null, false);
          case "tokens_per_minute" -> allow(null, 2000L * fits, null, null, false);
          default -> allow(fits, null, null, null, false);
        };
    CounterKey counter =
        switch (kind) {
          case "cost_per_day_usd" -> ALICE_COST;
          case "tokens_per_day" -> ALICE_TOKENS_DAY;
          case "tokens_per_minute" -> ALICE_TOKENS_MINUTE;
          default -> ALICE_REQUESTS;
        };
    long perRequest =
        switch (kind) {
          case "cost_per_day_usd" -> 18_000;
          case "requests_per_minute" -> 1;
          default -> 2000;
        };
    long limit = perRequest * fits;

    int threads = 100;
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger admitted = new AtomicInteger();
    AtomicLong maxSeen = new AtomicLong();
    ConcurrentLinkedQueue<ErrorCode> refusals = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Thread> started = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  ready.countDown();
                  start.await();
                  try {
                    enforcer.reserve(ALICE, request, allow).toCompletableFuture().join();
                    admitted.incrementAndGet();
                  } catch (CompletionException e) {
                    refusals.add(((GatewayException) e.getCause()).error().code());
                  }
                  maxSeen.accumulateAndGet(store.usedNow(counter, T0), Math::max);
                } catch (Throwable t) {
                  failures.add(t);
                }
              });
      thread.start();
      started.add(thread);
    }
    ready.await();
    start.countDown();
    for (Thread thread : started) {
      thread.join();
    }

    assertThat(failures).isEmpty();
    assertThat(admitted.get()).isEqualTo(fits);
    assertThat(refusals).hasSize(threads - fits);
    assertThat(store.usedNow(counter, T0)).isEqualTo(limit);
    assertThat(maxSeen.get()).isLessThanOrEqualTo(limit);
    ErrorCode expected =
        kind.endsWith("per_day") || kind.startsWith("cost")
            ? ErrorCode.BUDGET_EXCEEDED
            : ErrorCode.RATE_LIMITED;
    assertThat(refusals).containsOnly(expected);
  }

  @Test
  void concurrentReservesAndSettlesKeepTheCounterWithinTheBudget() throws Exception {
    // Worst case 2000 tokens, actual 500: settles free room that later reserves may take.
    RequestSummary request = summary(SONNET, 1000, 1000);
    Decision.Allow allow = allow(null, null, 20_000L, null, false);
    int threads = 100;
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger admitted = new AtomicInteger();
    AtomicLong maxSeen = new AtomicLong();
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    List<Thread> started = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  ready.countDown();
                  start.await();
                  Reservation reservation =
                      enforcer.reserve(ALICE, request, allow).toCompletableFuture().join();
                  admitted.incrementAndGet();
                  maxSeen.accumulateAndGet(store.usedNow(ALICE_TOKENS_DAY, T0), Math::max);
                  reservation.settle(new Usage(400, 100, 0, 0));
                  reservation.settle(new Usage(400, 100, 0, 0));
                } catch (CompletionException e) {
                  if (!(e.getCause() instanceof GatewayException)) {
                    failures.add(e); // a refusal is expected once the budget is full, nothing else
                  }
                } catch (Throwable t) {
                  failures.add(t);
                }
              });
      thread.start();
      started.add(thread);
    }
    ready.await();
    start.countDown();
    for (Thread thread : started) {
      thread.join();
    }

    assertThat(failures).isEmpty();
    // At least the first 10 fit at their worst case; every admitted one settled to 500 once.
    assertThat(admitted.get()).isBetween(10, threads);
    assertThat(maxSeen.get()).isLessThanOrEqualTo(20_000);
    assertThat(store.usedNow(ALICE_TOKENS_DAY, T0)).isEqualTo(500L * admitted.get());
  }

  @Test
  void theStageHandsTheReservationToItsHolderAndFailsWithTheRefusal() {
    AtomicReference<Reservation> held = new AtomicReference<>();
    LimitStage stage = new LimitStage(enforcer, (exchange, reservation) -> held.set(reservation));
    Exchange exchange = exchange(allow(1, 10_000L, null, null, false));

    CompletableFuture<Void> admitted = stage.apply(exchange).toCompletableFuture();
    assertThat(admitted).isCompleted();
    assertThat(admitted.isCompletedExceptionally()).isFalse();
    assertThat(held.get().worstCaseTokens()).isEqualTo(300);
    assertThat(stage.name()).isEqualTo("limits");

    CompletableFuture<Void> refused = stage.apply(exchange).toCompletableFuture();
    assertThat(refused).isCompletedExceptionally();
    Throwable cause = catchThrowable(refused::join).getCause();
    assertThat(cause).isInstanceOf(GatewayException.class);
    assertThat(((GatewayException) cause).error().code()).isEqualTo(ErrorCode.RATE_LIMITED);
  }

  @Test
  void aReservationNobodyHoldsIsReleased() {
    LimitStage stage =
        new LimitStage(
            enforcer,
            (exchange, reservation) -> {
              throw new IllegalStateException("no slot");
            });
    CompletableFuture<Void> result =
        stage.apply(exchange(allow(5, 10_000L, null, null, false))).toCompletableFuture();
    assertThat(result).isCompletedExceptionally();
    assertThat(store.usedNow(ALICE_TOKENS_MINUTE, T0)).isZero();
    assertThat(store.usedNow(ALICE_REQUESTS, T0)).isEqualTo(1);
  }

  @Test
  void theStageNeedsAnAllowDecision() {
    Exchange exchange = exchange(allow(1, null, null, null, false));
    exchange.decision(new Decision.Deny(Optional.of("no"), "no"), "test-version");
    LimitStage stage = new LimitStage(enforcer, (e, r) -> {});
    assertThat(stage.apply(exchange).toCompletableFuture()).isCompletedExceptionally();
    assertThat(store.size()).isZero();
  }

  private Exchange exchange(Decision.Allow allow) {
    Exchange exchange =
        new Exchange("ex-1", T0, 0, "POST", "/v1/messages", new DefaultHttpHeaders());
    exchange.identity(ALICE);
    exchange.summary(summary(SONNET, 100, 200));
    exchange.decision(allow, "test-version");
    return exchange;
  }
}
