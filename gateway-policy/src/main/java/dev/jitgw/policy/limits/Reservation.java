package dev.jitgw.policy.limits;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one admitted request holds against its limits: one request, its worst-case tokens and its
 * worst-case cost, in the windows current when it was admitted. The server settles it exactly once
 * when the exchange ends; every settle after the first is a no-op, so the end paths (response end,
 * caller gone, upstream failure) may each call it without coordinating.
 *
 * <ul>
 *   <li>{@link #settle(Usage)}: the response reported its usage (the JSON body's {@code usage}, or
 *       a stream's {@code message_start} and final {@code message_delta}); tokens and cost are
 *       corrected to it, up or down.
 *   <li>{@link #release()}: the request never reached the upstream (a later stage refused it, the
 *       upstream could not be reached, the caller left before forwarding) or the upstream answered
 *       with an error, which is not billed: tokens and cost go back in full.
 *   <li>{@link #keepWorstCase()}: the usage is unknown (a stream aborted before its final {@code
 *       message_delta}, a body too large or not parsable): the worst case stays counted, since the
 *       upstream may have billed all of it.
 * </ul>
 *
 * <p>The request itself stays counted in every case: it was admitted against {@code
 * requests_per_minute}.
 *
 * <p>Settling does not wait for the store: a store that fails to record the correction (a shared
 * store out of reach) is logged, and the worst case stays counted, which errs on the side of the
 * limit.
 */
public final class Reservation {
  private static final Logger log = LoggerFactory.getLogger(Reservation.class);

  private final LimitStore store;
  private final CostMeter meter;
  private final String model;
  private final List<LimitStore.Held> held;
  private final long worstCaseTokens;
  private final long worstCaseCostMicros;
  private final AtomicBoolean settled = new AtomicBoolean();

  Reservation(
      LimitStore store,
      CostMeter meter,
      String model,
      List<LimitStore.Held> held,
      long worstCaseTokens,
      long worstCaseCostMicros) {
    this.store = store;
    this.meter = meter;
    this.model = requireNonNull(model, "model");
    this.held = List.copyOf(held);
    this.worstCaseTokens = worstCaseTokens;
    this.worstCaseCostMicros = worstCaseCostMicros;
  }

  /** The reservation of a request no limit applies to: settling it does nothing. */
  public static Reservation none() {
    return new Reservation(null, null, "", List.of(), 0, 0);
  }

  /** The counter windows charged and the amount each was charged. Empty for {@link #none()}. */
  public List<LimitStore.Held> held() {
    return held;
  }

  /** Tokens reserved per token counter: estimated input plus {@code max_tokens}. */
  public long worstCaseTokens() {
    return worstCaseTokens;
  }

  /** Micro-dollars reserved per cost counter. */
  public long worstCaseCostMicros() {
    return worstCaseCostMicros;
  }

  /** Whether one of the settle methods has run. */
  public boolean isSettled() {
    return settled.get();
  }

  /**
   * Corrects the token and cost counters from the worst case to {@code actual}.
   *
   * @return false when the reservation was settled before (nothing changed)
   */
  public boolean settle(Usage actual) {
    requireNonNull(actual, "actual");
    if (!settled.compareAndSet(false, true)) {
      return false;
    }
    if (held.isEmpty()) {
      return true;
    }
    long tokenDelta = actual.totalTokens() - worstCaseTokens;
    long costDelta = meter.actualMicros(model, actual) - worstCaseCostMicros;
    List<LimitStore.Adjustment> adjustments = new ArrayList<>(held.size());
    for (LimitStore.Held charge : held) {
      long delta =
          switch (charge.slot().key().kind()) {
            case REQUESTS -> 0;
            case TOKENS -> tokenDelta;
            case COST_MICROS -> costDelta;
          };
      if (delta != 0) {
        adjustments.add(new LimitStore.Adjustment(charge.slot(), delta));
      }
    }
    if (!adjustments.isEmpty()) {
      store
          .settle(adjustments)
          .whenComplete(
              (ignored, failure) -> {
                if (failure != null) {
                  log.warn("cannot settle {}; its worst case stays counted", this, failure);
                }
              });
    }
    return true;
  }

  /**
   * Gives the worst case back in full: the request used nothing upstream.
   *
   * @return false when the reservation was settled before (nothing changed)
   */
  public boolean release() {
    return settle(Usage.ZERO);
  }

  /**
   * Settles without knowing the usage: the worst case stays counted.
   *
   * @return false when the reservation was settled before
   */
  public boolean keepWorstCase() {
    return settled.compareAndSet(false, true);
  }

  @Override
  public String toString() {
    return "Reservation{"
        + held.size()
        + " counters, tokens="
        + worstCaseTokens
        + ", costMicros="
        + worstCaseCostMicros
        + (isSettled() ? ", settled" : "")
        + '}';
  }
}
