package dev.jitgw.policy.limits;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A counter in one fixed window: what a store keeps a number for. A reservation carries the
 * windowed keys it was made in, so a settle that arrives after the window rolled over corrects the
 * window it charged, not the current one.
 *
 * @param key the counter
 * @param windowStart the start of the window, as given by {@link CounterKey.Window#start}
 */
public record WindowedKey(CounterKey key, Instant windowStart) {

  public WindowedKey {
    requireNonNull(key, "key");
    requireNonNull(windowStart, "windowStart");
    if (!key.window().start(windowStart).equals(windowStart)) {
      throw new IllegalArgumentException(
          "windowStart: " + windowStart + " (expected: the start of a " + key.window().id() + ")");
    }
  }

  /** The windowed key of {@code key} for the window that contains {@code at}. */
  public static WindowedKey at(CounterKey key, Instant at) {
    return new WindowedKey(key, key.window().start(at));
  }

  // Written out, as in CounterKey: the generated ones showed in the request path's profile.
  @Override
  public boolean equals(Object o) {
    return o instanceof WindowedKey other
        && key.equals(other.key)
        && windowStart.equals(other.windowStart);
  }

  @Override
  public int hashCode() {
    return key.hashCode() * 31 + windowStart.hashCode();
  }

  /** When this window ends (exclusive): from then on its counter no longer limits anything. */
  public Instant windowEnd() {
    return key.window().end(windowStart);
  }
}
