package dev.jitgw.policy.limits;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.exchange.PriceTable;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Prices tokens in integer micro-dollars from a {@link PriceTable}, exactly: a price of {@code p}
 * USD per million tokens is {@code p} micro-dollars per token, and the sum is rounded up once, so a
 * budget is never undercharged by rounding.
 *
 * <p>Prompt caching is priced as the Messages API bills it: a cache write at 1.25 times the input
 * price (the 5-minute cache; the 1-hour cache bills 2 times and is undercounted by this meter, as
 * usage totals do not tell the two apart) and a cache read at 0.1 times.
 */
public final class CostMeter {
  private static final BigDecimal CACHE_WRITE = new BigDecimal("1.25");
  private static final BigDecimal CACHE_READ = new BigDecimal("0.1");
  private static final BigDecimal MAX_LONG = BigDecimal.valueOf(Long.MAX_VALUE);

  private final PriceTable prices;

  public CostMeter(PriceTable prices) {
    this.prices = requireNonNull(prices, "prices");
  }

  /**
   * The most a request can cost: {@code inputTokens} at the input price and {@code maxOutputTokens}
   * at the output price; the same formula as {@link PriceTable#worstCaseUsd}, in exact
   * micro-dollars.
   */
  public long worstCaseMicros(String model, long inputTokens, long maxOutputTokens) {
    PriceTable.Price price = prices.priceOf(requireNonNull(model, "model"));
    BigDecimal in = BigDecimal.valueOf(price.inputPerMillion());
    BigDecimal out = BigDecimal.valueOf(price.outputPerMillion());
    return roundUp(tokens(inputTokens).multiply(in).add(tokens(maxOutputTokens).multiply(out)));
  }

  /** What {@code usage} costs on {@code model}. */
  public long actualMicros(String model, Usage usage) {
    requireNonNull(usage, "usage");
    PriceTable.Price price = prices.priceOf(requireNonNull(model, "model"));
    BigDecimal in = BigDecimal.valueOf(price.inputPerMillion());
    BigDecimal out = BigDecimal.valueOf(price.outputPerMillion());
    BigDecimal micros =
        tokens(usage.inputTokens())
            .multiply(in)
            .add(tokens(usage.cacheCreationInputTokens()).multiply(in).multiply(CACHE_WRITE))
            .add(tokens(usage.cacheReadInputTokens()).multiply(in).multiply(CACHE_READ))
            .add(tokens(usage.outputTokens()).multiply(out));
    return roundUp(micros);
  }

  /** A budget in USD as micro-dollars, rounded down so the budget is never exceeded. */
  public static long budgetMicros(double usd) {
    if (Double.isNaN(usd) || usd <= 0) {
      return 0;
    }
    if (Double.isInfinite(usd)) {
      return Long.MAX_VALUE;
    }
    return BigDecimal.valueOf(usd)
        .movePointRight(6)
        .setScale(0, RoundingMode.FLOOR)
        .min(MAX_LONG)
        .longValueExact();
  }

  private static BigDecimal tokens(long count) {
    return BigDecimal.valueOf(Math.max(0, count));
  }

  private static long roundUp(BigDecimal micros) {
    return micros.setScale(0, RoundingMode.CEILING).min(MAX_LONG).longValueExact();
  }
}
