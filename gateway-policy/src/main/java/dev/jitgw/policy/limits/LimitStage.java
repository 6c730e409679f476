package dev.jitgw.policy.limits;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.Exchange;
import dev.jitgw.core.stage.RequestStage;
import io.netty.util.AttributeKey;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * The request-path step that reserves limits (architecture step 7), after the policy decided to
 * allow. The reservation goes to {@code holder}, which keeps it with the exchange until the
 * exchange ends and settles it (step 14): the exchange model has no slot for it, and must not
 * depend on this module.
 *
 * <p>With the embedded store the reserve is a few hash lookups under a lock and completes at once
 * on the event loop; a networked store completes it later. A refusal fails the stage with {@code
 * rate_limited} or {@code budget_exceeded}.
 */
public final class LimitStage implements RequestStage {
  /** Where the data plane keeps an exchange's reservation until it settles it. */
  public static final AttributeKey<Reservation> RESERVATION =
      AttributeKey.valueOf("jitgw.limits.reservation");

  private final LimitEnforcer enforcer;
  private final BiConsumer<Exchange, Reservation> holder;

  public LimitStage(LimitEnforcer enforcer, BiConsumer<Exchange, Reservation> holder) {
    this.enforcer = requireNonNull(enforcer, "enforcer");
    this.holder = requireNonNull(holder, "holder");
  }

  @Override
  public String name() {
    return "limits";
  }

  @Override
  public CompletionStage<Void> apply(Exchange exchange) {
    if (exchange.decision().orElse(null) instanceof Decision.Hold) {
      // A held rule sets no limits; an approval decides instead.
      return CompletableFuture.completedFuture(null);
    }
    return enforcer
        .reserve(exchange)
        .thenAccept(
            reservation -> {
              try {
                holder.accept(exchange, reservation);
              } catch (RuntimeException e) {
                // Nobody holds the reservation, so nobody would settle it: give it back now.
                reservation.release();
                throw e;
              }
            });
  }
}
