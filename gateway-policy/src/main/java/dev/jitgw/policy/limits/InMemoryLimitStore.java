package dev.jitgw.policy.limits;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Limit counters in memory, for one node. Counters of ended windows are dropped (at most a minute
 * after they end), so memory follows the callers active today.
 *
 * <p>One lock guards every counter. A reserve touches a handful of counters (at most four per
 * subject or group) and holds the lock for a few hash lookups, so contention stays far below what
 * the event loops can produce; in return all-or-nothing over several counters needs no lock
 * ordering. Striping can replace it if a profile ever shows the lock.
 */
public final class InMemoryLimitStore implements LimitStore {
  private static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);

  private final Clock clock;
  private final Object lock = new Object();

  /** Guarded by {@link #lock}. Absent means zero. */
  private final HashMap<WindowedKey, Long> counters = new HashMap<>();

  /** Guarded by {@link #lock}: bumped on every change, so a snapshot can tell it is current. */
  private long version;

  /** Guarded by {@link #lock}. */
  private Instant nextSweep = Instant.MIN;

  public InMemoryLimitStore(Clock clock) {
    this(clock, Map.of());
  }

  /**
   * Starts from {@code initial} counters (a loaded snapshot); windows already ended are dropped.
   */
  InMemoryLimitStore(Clock clock, Map<WindowedKey, Long> initial) {
    this.clock = requireNonNull(clock, "clock");
    Instant now = clock.instant();
    initial.forEach(
        (slot, used) -> {
          if (used > 0 && slot.windowEnd().isAfter(now)) {
            counters.put(slot, used);
          }
        });
  }

  /** Answers at once: the counters are in memory. */
  @Override
  public CompletionStage<Result> reserve(List<Charge> charges) {
    return CompletableFuture.completedFuture(reserveNow(charges));
  }

  @Override
  public CompletionStage<Void> settle(List<Adjustment> adjustments) {
    settleNow(adjustments);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Long> used(CounterKey key, Instant at) {
    return CompletableFuture.completedFuture(usedNow(key, at));
  }

  /** {@link #reserve}, answered directly. */
  Result reserveNow(List<Charge> charges) {
    requireNonNull(charges, "charges");
    Instant now = clock.instant();
    synchronized (lock) {
      sweepIfDue(now);
      // A counter may appear more than once (two charges to one key): check the running total.
      Map<WindowedKey, Long> pending = new HashMap<>();
      List<Held> held = new ArrayList<>(charges.size());
      Refused refused = null;
      for (Charge charge : charges) {
        WindowedKey slot = WindowedKey.at(charge.key(), now);
        long used = counters.getOrDefault(slot, 0L) + pending.getOrDefault(slot, 0L);
        // used + amount > limit, written so that it cannot overflow (all three are >= 0).
        if (used > charge.limit() - charge.amount()) {
          Refused here =
              new Refused(charge.key(), used, charge.amount(), charge.limit(), slot.windowEnd());
          if (refused == null || here.roomAt().isAfter(refused.roomAt())) {
            refused = here;
          }
        } else {
          pending.merge(slot, charge.amount(), Long::sum);
          held.add(new Held(slot, charge.amount()));
        }
      }
      if (refused != null) {
        return refused;
      }
      pending.forEach(
          (slot, amount) -> {
            if (amount > 0) {
              counters.merge(slot, amount, Long::sum);
            }
          });
      version++;
      return new Admitted(held);
    }
  }

  /** {@link #settle}, done directly. */
  void settleNow(List<Adjustment> adjustments) {
    requireNonNull(adjustments, "adjustments");
    Instant now = clock.instant();
    synchronized (lock) {
      for (Adjustment adjustment : adjustments) {
        WindowedKey slot = adjustment.slot();
        if (adjustment.delta() == 0 || !slot.windowEnd().isAfter(now)) {
          continue;
        }
        long updated =
            Math.max(0, saturatedAdd(counters.getOrDefault(slot, 0L), adjustment.delta()));
        if (updated == 0) {
          counters.remove(slot);
        } else {
          counters.put(slot, updated);
        }
        version++;
      }
    }
  }

  /** {@link #used}, answered directly. */
  long usedNow(CounterKey key, Instant at) {
    WindowedKey slot = WindowedKey.at(requireNonNull(key, "key"), requireNonNull(at, "at"));
    synchronized (lock) {
      return counters.getOrDefault(slot, 0L);
    }
  }

  /** Nothing to release: the counters are garbage collected. */
  @Override
  public void close() {}

  /** A consistent copy of the counters whose window has not ended, and the version it shows. */
  Snapshot snapshot() {
    Instant now = clock.instant();
    synchronized (lock) {
      Map<WindowedKey, Long> copy = new HashMap<>();
      counters.forEach(
          (slot, used) -> {
            if (slot.windowEnd().isAfter(now)) {
              copy.put(slot, used);
            }
          });
      return new Snapshot(Map.copyOf(copy), version);
    }
  }

  long version() {
    synchronized (lock) {
      return version;
    }
  }

  /** Counters held, ended windows not yet swept included: for tests of the sweep. */
  int size() {
    synchronized (lock) {
      return counters.size();
    }
  }

  record Snapshot(Map<WindowedKey, Long> counters, long version) {}

  private void sweepIfDue(Instant now) {
    if (now.isBefore(nextSweep)) {
      return;
    }
    counters.keySet().removeIf(slot -> !slot.windowEnd().isAfter(now));
    nextSweep = now.plus(SWEEP_INTERVAL);
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    // Overflow only when both have the same sign and the sum's sign differs.
    if (((a ^ sum) & (b ^ sum)) < 0) {
      return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return sum;
  }
}
