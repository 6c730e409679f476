package dev.jitgw.policy.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.core.exchange.PriceTable;
import org.junit.jupiter.api.Test;

class CostMeterTest {
  private final CostMeter meter = new CostMeter(PriceTable.defaults());

  @Test
  void theWorstCaseIsTheSummaryEstimateInExactMicroDollars() {
    assertThat(meter.worstCaseMicros("claude-sonnet-4-5", 1000, 2000)).isEqualTo(33_000);
    assertThat(meter.worstCaseMicros("claude-opus-4-1", 123, 4567))
        .isEqualTo(
            Math.round(PriceTable.defaults().worstCaseUsd("claude-opus-4-1", 123, 4567) * 1e6));
    // An unknown model is priced as the most expensive family.
    assertThat(meter.worstCaseMicros("some-new-model", 1, 1)).isEqualTo(90);
  }

  @Test
  void fractionsOfAMicroDollarAreRoundedUpOnce() {
    // Claude 3 Haiku: $0.25/M input: 3 tokens are 0.75 micro-dollars.
    assertThat(meter.actualMicros("claude-3-haiku-20240307", new Usage(3, 0, 0, 0))).isEqualTo(1);
    assertThat(meter.actualMicros("claude-3-haiku-20240307", new Usage(4, 0, 0, 0))).isEqualTo(1);
    assertThat(meter.actualMicros("claude-3-haiku-20240307", new Usage(0, 0, 0, 0))).isZero();
  }

  @Test
  void cacheWritesAndReadsArePricedAsBilled() {
    // Sonnet: $3/M input, $15/M output; cache write x1.25, cache read x0.1.
    assertThat(meter.actualMicros("claude-sonnet-4-5", new Usage(1000, 500, 2000, 10_000)))
        .isEqualTo(3000 + 7500 + 7500 + 3000);
  }

  @Test
  void budgetsAreRoundedDown() {
    assertThat(CostMeter.budgetMicros(0.1)).isEqualTo(100_000);
    assertThat(CostMeter.budgetMicros(25.0)).isEqualTo(25_000_000);
    assertThat(CostMeter.budgetMicros(0.0000019)).isEqualTo(1);
    assertThat(CostMeter.budgetMicros(-1)).isZero();
    assertThat(CostMeter.budgetMicros(Double.NaN)).isZero();
    assertThat(CostMeter.budgetMicros(Double.POSITIVE_INFINITY)).isEqualTo(Long.MAX_VALUE);
    assertThat(CostMeter.budgetMicros(1e300)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void usageTotalsEveryTokenAndRefusesNegatives() {
    assertThat(new Usage(1, 2, 3, 4).totalTokens()).isEqualTo(10);
    assertThat(new Usage(Long.MAX_VALUE, 2, 0, 0).totalTokens()).isEqualTo(Long.MAX_VALUE);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Usage(-1, 0, 0, 0))
        .hasMessage("inputTokens: -1 (expected: >= 0)");
  }
}
