package dev.jitgw.core.exchange;

import java.util.List;
import java.util.Locale;

/**
 * USD per million tokens by model family, for the worst-case cost estimate policy rules can test
 * ({@code request.estimated_cost_usd}). An unknown model is priced as the most expensive family, so
 * a cost rule fails closed rather than waving an unpriced model through.
 */
public final class PriceTable {
  /** A model-name prefix and its prices. */
  public record Price(String modelPrefix, double inputPerMillion, double outputPerMillion) {}

  private final List<Price> prices;
  private final Price fallback;

  public PriceTable(List<Price> prices) {
    this.prices = List.copyOf(prices);
    this.fallback =
        this.prices.stream()
            .max(java.util.Comparator.comparingDouble(Price::outputPerMillion))
            .orElse(new Price("", 15.0, 75.0));
  }

  /** List prices of the Claude model families (per million tokens), the most expensive first. */
  public static PriceTable defaults() {
    return new PriceTable(
        List.of(
            new Price("claude-opus-4-5", 5.0, 25.0),
            new Price("claude-opus", 15.0, 75.0),
            new Price("claude-sonnet", 3.0, 15.0),
            new Price("claude-3-7-sonnet", 3.0, 15.0),
            new Price("claude-3-5-sonnet", 3.0, 15.0),
            new Price("claude-haiku-4-5", 1.0, 5.0),
            new Price("claude-3-5-haiku", 0.8, 4.0),
            new Price("claude-3-haiku", 0.25, 1.25)));
  }

  /** The entries, in the order they are matched. */
  public List<Price> prices() {
    return prices;
  }

  public Price priceOf(String model) {
    String lower = model.toLowerCase(Locale.ROOT);
    for (Price price : prices) {
      if (!price.modelPrefix().isEmpty() && lower.startsWith(price.modelPrefix())) {
        return price;
      }
    }
    return fallback;
  }

  public double worstCaseUsd(String model, long inputTokens, long maxOutputTokens) {
    Price price = priceOf(model);
    return (inputTokens * price.inputPerMillion() + maxOutputTokens * price.outputPerMillion())
        / 1_000_000.0;
  }
}
