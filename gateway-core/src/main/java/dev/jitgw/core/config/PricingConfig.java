package dev.jitgw.core.config;

import dev.jitgw.core.exchange.PriceTable;
import java.util.List;

/**
 * USD per million tokens by model-name prefix: the price table behind {@code
 * request.estimated_cost_usd} and {@code cost_per_day_usd} budgets. The first prefix that matches a
 * model wins, so list specific prefixes before general ones; a model no prefix matches is priced as
 * the most expensive entry (fail closed).
 *
 * @param models the entries; absent: the built-in list prices of the Claude model families
 */
public record PricingConfig(List<ModelPrice> models) {

  /**
   * @param prefix a model-name prefix, e.g. {@code claude-sonnet}
   * @param inputPerMillion USD per million input tokens
   * @param outputPerMillion USD per million output tokens
   */
  public record ModelPrice(String prefix, Double inputPerMillion, Double outputPerMillion) {
    public ModelPrice {
      if (prefix == null || prefix.isBlank()) {
        throw new IllegalArgumentException("prefix: missing (a model-name prefix)");
      }
      if (inputPerMillion == null || inputPerMillion < 0 || inputPerMillion.isNaN()) {
        throw new IllegalArgumentException(
            "'" + prefix + "': input_per_million must be a number >= 0");
      }
      if (outputPerMillion == null || outputPerMillion < 0 || outputPerMillion.isNaN()) {
        throw new IllegalArgumentException(
            "'" + prefix + "': output_per_million must be a number >= 0");
      }
    }
  }

  public PricingConfig {
    models =
        models == null
            ? PriceTable.defaults().prices().stream()
                .map(
                    p -> new ModelPrice(p.modelPrefix(), p.inputPerMillion(), p.outputPerMillion()))
                .toList()
            : List.copyOf(models);
    if (models.isEmpty()) {
      throw new IllegalArgumentException("models: empty (omit pricing for the built-in prices)");
    }
  }

  public static PricingConfig defaults() {
    return new PricingConfig(null);
  }

  public PriceTable priceTable() {
    return new PriceTable(
        models.stream()
            .map(m -> new PriceTable.Price(m.prefix(), m.inputPerMillion(), m.outputPerMillion()))
            .toList());
  }
}
