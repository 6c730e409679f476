package dev.jitgw.policy.approval;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A scheduler tests drive by hand with a {@link Clock} they move: a task runs when {@link
 * #runDue()} is called at or after its due time, on the calling thread. Nothing sleeps.
 */
final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final Clock clock;
  private final List<Task<?>> tasks = new ArrayList<>();
  private boolean shutdown;

  ManualScheduler(Clock clock) {
    this.clock = clock;
  }

  /** Runs every task due by the clock, including those they schedule that are due; the count. */
  int runDue() {
    int ran = 0;
    while (true) {
      Task<?> next = null;
      synchronized (this) {
        Instant now = clock.instant();
        tasks.removeIf(Task::isCancelled);
        for (Task<?> task : tasks) {
          if (!task.due.isAfter(now) && (next == null || task.due.isBefore(next.due))) {
            next = task;
          }
        }
        if (next == null) {
          return ran;
        }
        tasks.remove(next);
      }
      next.run();
      ran++;
    }
  }

  /** Tasks scheduled and neither run nor cancelled. */
  synchronized int pending() {
    tasks.removeIf(Task::isCancelled);
    return tasks.size();
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return schedule(
        () -> {
          command.run();
          return null;
        },
        delay,
        unit);
  }

  @Override
  public synchronized <V> ScheduledFuture<V> schedule(
      Callable<V> callable, long delay, TimeUnit unit) {
    Task<V> task = new Task<>(callable, clock.instant().plusNanos(unit.toNanos(delay)));
    tasks.add(task);
    return task;
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void execute(Runnable command) {
    command.run();
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    tasks.clear();
    return List.of();
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return true;
  }

  private final class Task<V> implements ScheduledFuture<V> {
    private final Callable<V> callable;
    private final Instant due;
    private final CompletableFuture<V> result = new CompletableFuture<>();

    Task(Callable<V> callable, Instant due) {
      this.callable = callable;
      this.due = due;
    }

    void run() {
      if (result.isDone()) {
        return;
      }
      try {
        result.complete(callable.call());
      } catch (Exception e) {
        result.completeExceptionally(e);
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(clock.instant(), due));
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      return result.cancel(mayInterruptIfRunning);
    }

    @Override
    public boolean isCancelled() {
      return result.isCancelled();
    }

    @Override
    public boolean isDone() {
      return result.isDone();
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
      return result.get();
    }

    @Override
    public V get(long timeout, TimeUnit unit)
        throws InterruptedException, ExecutionException, TimeoutException {
      return result.get(timeout, unit);
    }
  }
}
