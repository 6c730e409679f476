package dev.jitgw.policy.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jitgw.policy.limits.CounterKey.Kind;
import dev.jitgw.policy.limits.CounterKey.Window;
import dev.jitgw.policy.limits.LimitStore.Adjustment;
import dev.jitgw.policy.limits.LimitStore.Admitted;
import dev.jitgw.policy.limits.LimitStore.Charge;
import dev.jitgw.policy.limits.LimitStore.Refused;
import dev.jitgw.policy.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryLimitStoreTest {
  static final Instant T0 = Instant.parse("2026-11-29T10:00:30Z");
  static final String ALICE = CounterKey.subject("https://idp.example", "alice");
  static final CounterKey REQUESTS = new CounterKey(ALICE, Kind.REQUESTS, Window.MINUTE);
  static final CounterKey TOKENS_MINUTE = new CounterKey(ALICE, Kind.TOKENS, Window.MINUTE);
  static final CounterKey TOKENS_DAY = new CounterKey(ALICE, Kind.TOKENS, Window.DAY);

  private final MutableClock clock = new MutableClock(T0);
  private final InMemoryLimitStore store = new InMemoryLimitStore(clock);

  @Test
  void windowsAreFixedAndAlignedToUtc() {
    assertThat(Window.MINUTE.start(Instant.parse("2026-11-29T10:00:59.999Z")))
        .isEqualTo(Instant.parse("2026-11-29T10:00:00Z"));
    assertThat(Window.DAY.start(Instant.parse("2026-11-29T23:59:59Z")))
        .isEqualTo(Instant.parse("2026-11-29T00:00:00Z"));
    assertThat(WindowedKey.at(TOKENS_DAY, T0).windowEnd())
        .isEqualTo(Instant.parse("2026-11-30T00:00:00Z"));
    assertThatThrownBy(() -> new WindowedKey(TOKENS_DAY, T0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: the start of a day");
  }

  @Test
  void admitsUpToTheLimitThenRefusesUntilTheWindowRollsOver() {
    for (int i = 0; i < 3; i++) {
      assertThat(store.reserveNow(List.of(new Charge(REQUESTS, 1, 3))))
          .isInstanceOf(Admitted.class);
    }
    LimitStore.Result fourth = store.reserveNow(List.of(new Charge(REQUESTS, 1, 3)));
    assertThat(fourth)
        .isEqualTo(new Refused(REQUESTS, 3, 1, 3, Instant.parse("2026-11-29T10:01:00Z")));
    assertThat(store.usedNow(REQUESTS, T0)).isEqualTo(3);

    clock.advance(Duration.ofSeconds(30)); // 10:01:00, a new window
    assertThat(store.reserveNow(List.of(new Charge(REQUESTS, 1, 3)))).isInstanceOf(Admitted.class);
    assertThat(store.usedNow(REQUESTS, clock.instant())).isEqualTo(1);
    assertThat(store.usedNow(REQUESTS, T0)).isEqualTo(3);
  }

  @Test
  void aRefusedCounterLeavesTheOthersUntouched() {
    store.reserveNow(List.of(new Charge(TOKENS_MINUTE, 900, 1000)));

    LimitStore.Result result =
        store.reserveNow(
            List.of(
                new Charge(REQUESTS, 1, 60),
                new Charge(TOKENS_MINUTE, 200, 1000),
                new Charge(TOKENS_DAY, 200, 1_000_000)));

    assertThat(result).isInstanceOf(Refused.class);
    assertThat(((Refused) result).key()).isEqualTo(TOKENS_MINUTE);
    assertThat(((Refused) result).used()).isEqualTo(900);
    assertThat(store.usedNow(REQUESTS, T0)).isZero();
    assertThat(store.usedNow(TOKENS_MINUTE, T0)).isEqualTo(900);
    assertThat(store.usedNow(TOKENS_DAY, T0)).isZero();
  }

  @Test
  void whenSeveralRefuseTheLastToHaveRoomIsNamed() {
    store.reserveNow(
        List.of(new Charge(TOKENS_MINUTE, 1000, 1000), new Charge(TOKENS_DAY, 50, 50)));

    Refused refused =
        (Refused)
            store.reserveNow(
                List.of(new Charge(TOKENS_MINUTE, 1, 1000), new Charge(TOKENS_DAY, 1, 50)));

    assertThat(refused.key()).isEqualTo(TOKENS_DAY);
    assertThat(refused.roomAt()).isEqualTo(Instant.parse("2026-11-30T00:00:00Z"));
  }

  @Test
  void aChargeOverTheLimitNeverFitsAndAZeroChargePassesUntilTheCounterIsOver() {
    Refused tooBig = (Refused) store.reserveNow(List.of(new Charge(TOKENS_MINUTE, 1001, 1000)));
    assertThat(tooBig.neverFits()).isTrue();
    assertThat(tooBig.used()).isZero();

    assertThat(store.reserveNow(List.of(new Charge(TOKENS_MINUTE, 1000, 1000))))
        .isInstanceOf(Admitted.class);
    assertThat(store.reserveNow(List.of(new Charge(TOKENS_MINUTE, 0, 1000))))
        .isInstanceOf(Admitted.class);
    WindowedKey slot = WindowedKey.at(TOKENS_MINUTE, T0);
    store.settleNow(List.of(new Adjustment(slot, 5))); // actual usage above the worst case
    Refused over = (Refused) store.reserveNow(List.of(new Charge(TOKENS_MINUTE, 0, 1000)));
    assertThat(over.used()).isEqualTo(1005);
    assertThat(over.neverFits()).isFalse();
  }

  @Test
  void twoChargesToOneCounterAreCheckedTogether() {
    LimitStore.Result result =
        store.reserveNow(List.of(new Charge(REQUESTS, 1, 1), new Charge(REQUESTS, 1, 1)));
    assertThat(result).isInstanceOf(Refused.class);
    assertThat(store.usedNow(REQUESTS, T0)).isZero();

    assertThat(store.reserveNow(List.of(new Charge(REQUESTS, 1, 2), new Charge(REQUESTS, 1, 2))))
        .isInstanceOf(Admitted.class);
    assertThat(store.usedNow(REQUESTS, T0)).isEqualTo(2);
  }

  @Test
  void settleMovesTheCounterDownAndUpButNeverBelowZero() {
    Admitted admitted = (Admitted) store.reserveNow(List.of(new Charge(TOKENS_DAY, 1000, 5000)));
    WindowedKey slot = admitted.held().get(0).slot();
    assertThat(admitted.held().get(0).amount()).isEqualTo(1000);

    store.settleNow(List.of(new Adjustment(slot, -700)));
    assertThat(store.usedNow(TOKENS_DAY, T0)).isEqualTo(300);
    store.settleNow(List.of(new Adjustment(slot, 4900)));
    assertThat(store.usedNow(TOKENS_DAY, T0)).isEqualTo(5200);
    store.settleNow(List.of(new Adjustment(slot, -9000)));
    assertThat(store.usedNow(TOKENS_DAY, T0)).isZero();
    store.settleNow(List.of(new Adjustment(slot, Long.MAX_VALUE), new Adjustment(slot, 10)));
    assertThat(store.usedNow(TOKENS_DAY, T0)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aSettleAfterTheRollOverCorrectsTheWindowItWasMadeInOrIsDropped() {
    Admitted first =
        (Admitted)
            store.reserveNow(
                List.of(new Charge(TOKENS_MINUTE, 1000, 5000), new Charge(TOKENS_DAY, 1000, 9000)));
    clock.advance(Duration.ofMinutes(1)); // 10:01:30
    store.reserveNow(
        List.of(new Charge(TOKENS_MINUTE, 1000, 5000), new Charge(TOKENS_DAY, 1000, 9000)));

    store.settleNow(
        first.held().stream().map(h -> new Adjustment(h.slot(), -h.amount() + 100)).toList());

    // The day window is still open: it is corrected. The new minute window is not touched (the
    // old one has ended and no longer limits anything, so its settle is dropped).
    assertThat(store.usedNow(TOKENS_DAY, clock.instant())).isEqualTo(1100);
    assertThat(store.usedNow(TOKENS_MINUTE, clock.instant())).isEqualTo(1000);
    assertThat(store.usedNow(TOKENS_MINUTE, T0)).isZero();
  }

  @Test
  void endedWindowsAreSweptAndASettleDoesNotResurrectThem() {
    Admitted admitted =
        (Admitted)
            store.reserveNow(List.of(new Charge(REQUESTS, 1, 10), new Charge(TOKENS_DAY, 10, 100)));
    assertThat(store.size()).isEqualTo(2);

    clock.advance(Duration.ofMinutes(2));
    store.reserveNow(List.of()); // a reserve sweeps when due
    assertThat(store.size()).isEqualTo(1);
    assertThat(store.usedNow(REQUESTS, T0)).isZero();

    store.settleNow(List.of(new Adjustment(admitted.held().get(0).slot(), 5)));
    assertThat(store.size()).isEqualTo(1);

    clock.advance(Duration.ofDays(1));
    store.reserveNow(List.of());
    assertThat(store.size()).isZero();
  }

  @Test
  void theStoreInterfaceAnswersAtOnce() {
    LimitStore asInterface = store;
    assertThat(asInterface.reserve(List.of(new Charge(REQUESTS, 1, 1))).toCompletableFuture())
        .isCompletedWithValueMatching(result -> result instanceof Admitted);
    assertThat(asInterface.used(REQUESTS, T0).toCompletableFuture()).isCompletedWithValue(1L);
    assertThat(
            asInterface
                .settle(List.of(new Adjustment(WindowedKey.at(REQUESTS, T0), -1)))
                .toCompletableFuture())
        .isCompleted();
    assertThat(store.usedNow(REQUESTS, T0)).isZero();
  }

  @Test
  void chargesAreValidated() {
    assertThatThrownBy(() -> new Charge(REQUESTS, -1, 5)).hasMessage("amount: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new Charge(REQUESTS, 1, -5)).hasMessage("limit: -5 (expected: >= 0)");
  }
}
