package dev.jitgw.policy.limits;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Windowed limit counters with an atomic, all-or-nothing reserve. One node keeps them in memory
 * with a snapshot in the data dir ({@link SnapshotLimitStore}); a shared store can implement the
 * same three operations later (Redis: one key per {@link WindowedKey} with a TTL past the window
 * end, {@link #reserve} and {@link #settle} as Lua scripts so they stay atomic), without touching
 * the callers.
 *
 * <p>Every amount is a non-negative integer: requests, tokens, or micro-dollars of cost.
 *
 * <p>The operations answer with a {@link CompletionStage} because they run on the event loop: the
 * embedded store completes them at once, a networked one completes them when its answer arrives,
 * without blocking the loop. A store that cannot answer fails the stage.
 */
public interface LimitStore extends AutoCloseable {

  /**
   * Charges every amount against its counter's current window, or none of them. Each counter is
   * admitted when {@code used + amount <= limit} (so a zero amount passes unless the counter is
   * already past its limit). When all are admitted, all are incremented and the answer names the
   * windows charged; otherwise nothing changes and the answer names the refusing counter. When
   * several refuse, it names the one that has room last, so waiting for it is enough.
   */
  CompletionStage<Result> reserve(List<Charge> charges);

  /**
   * Adds each delta (negative to give back, positive to take more) to the window it names, never
   * taking a counter below zero. A settle for a window that has ended is dropped: that window no
   * longer limits anything. Never refuses: a settle records what was used, even past a limit.
   */
  CompletionStage<Void> settle(List<Adjustment> adjustments);

  /**
   * The count of {@code key} in the window that contains {@code at}; 0 when nothing is counted. For
   * metrics, the admin API and tests.
   */
  CompletionStage<Long> used(CounterKey key, Instant at);

  /** Releases what the store holds (a snapshot store writes its last snapshot). */
  @Override
  void close();

  /**
   * An amount to charge to a counter, refused when it would take the counter past {@code limit}.
   */
  record Charge(CounterKey key, long amount, long limit) {
    public Charge {
      requireNonNull(key, "key");
      if (amount < 0) {
        throw new IllegalArgumentException("amount: " + amount + " (expected: >= 0)");
      }
      if (limit < 0) {
        throw new IllegalArgumentException("limit: " + limit + " (expected: >= 0)");
      }
    }
  }

  /** What a reserve took from one counter window: the amount a settle later corrects. */
  record Held(WindowedKey slot, long amount) {
    public Held {
      requireNonNull(slot, "slot");
    }
  }

  /** A correction of one counter window, by a delta that may be negative. */
  record Adjustment(WindowedKey slot, long delta) {
    public Adjustment {
      requireNonNull(slot, "slot");
    }
  }

  /** The answer of {@link #reserve}. */
  sealed interface Result permits Admitted, Refused {}

  /** Every charge was admitted and counted; {@code held} follows the order of the charges. */
  record Admitted(List<Held> held) implements Result {
    public Admitted {
      held = List.copyOf(held);
    }
  }

  /**
   * Nothing was counted: {@code key} had {@code used} of {@code limit} and could not take {@code
   * requested} more. The window ends, and the counter has room again, at {@code roomAt} (sooner if
   * reservations are settled below their worst case).
   */
  record Refused(CounterKey key, long used, long requested, long limit, Instant roomAt)
      implements Result {
    public Refused {
      requireNonNull(key, "key");
      requireNonNull(roomAt, "roomAt");
    }

    /** The amount alone is over the limit: no window will ever have room for it. */
    public boolean neverFits() {
      return requested > limit;
    }
  }
}
