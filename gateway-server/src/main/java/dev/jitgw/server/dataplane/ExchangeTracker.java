package dev.jitgw.server.dataplane;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts in-flight exchanges so shutdown can wait for them to drain. */
public final class ExchangeTracker {
  private final AtomicInteger active = new AtomicInteger();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();
  private volatile boolean draining;

  void begin() {
    active.incrementAndGet();
  }

  void end() {
    if (active.decrementAndGet() == 0 && draining) {
      drained.complete(null);
    }
  }

  public int active() {
    return active.get();
  }

  public boolean isDraining() {
    return draining;
  }

  /** Stops keep-alive for new exchanges; the future completes when none is in flight. */
  public CompletableFuture<Void> drain() {
    draining = true;
    if (active.get() == 0) {
      drained.complete(null);
    }
    return drained;
  }
}
