package dev.jitgw.policy.limits;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * One limit counter: whose it is (a subject or a group), what it counts and over which window.
 *
 * <p>Windows are fixed, not sliding: a minute window starts on a whole UTC minute, a day window at
 * 00:00 UTC, and a counter is stored per window start ({@link WindowedKey}). At a window boundary a
 * caller may use up to twice the limit within a short span (the end of one window and the start of
 * the next); the simplicity is worth it, and a shared store can implement it with one key per
 * window and a TTL.
 *
 * @param scope {@code subject:<iss>|<sub>} or {@code group:<name>} (see {@link #subject} and {@link
 *     #group})
 * @param kind what is counted
 * @param window the window length
 */
public record CounterKey(String scope, Kind kind, Window window) {

  public CounterKey {
    requireNonNull(scope, "scope");
    requireNonNull(kind, "kind");
    requireNonNull(window, "window");
    if (scope.isEmpty()) {
      throw new IllegalArgumentException("scope: \"\" (expected: a subject or group scope)");
    }
  }

  // Written out: the generated ones go through method handles, which showed in the request path's
  // profile (every request looks up four counters; docs/benchmarks.md).
  @Override
  public boolean equals(Object o) {
    return o instanceof CounterKey other
        && kind == other.kind
        && window == other.window
        && scope.equals(other.scope);
  }

  @Override
  public int hashCode() {
    return (scope.hashCode() * 31 + kind.ordinal()) * 31 + window.ordinal();
  }

  /** The scope of one caller: issuer and subject, as a subject is only unique per issuer. */
  public static String subject(String issuer, String subject) {
    return "subject:" + requireNonNull(issuer, "issuer") + '|' + requireNonNull(subject, "subject");
  }

  /**
   * The scope of a group, by name only: policy rules test group names regardless of the issuer
   * ({@code "eng" in identity.groups}), so the counter is shared the same way.
   */
  public static String group(String name) {
    return "group:" + requireNonNull(name, "name");
  }

  /** What a counter counts. */
  public enum Kind {
    /** Requests admitted. */
    REQUESTS,
    /** Input (uncached, cache write and cache read) plus output tokens. */
    TOKENS,
    /** Cost in micro-dollars (1 USD = 1,000,000), so sums stay exact. */
    COST_MICROS;

    /** The lower-case name used in the snapshot file. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Kind fromId(String id) {
      return valueOf(id.toUpperCase(Locale.ROOT));
    }
  }

  /** A fixed window, aligned to UTC. */
  public enum Window {
    MINUTE(ChronoUnit.MINUTES),
    DAY(ChronoUnit.DAYS);

    private final ChronoUnit unit;

    Window(ChronoUnit unit) {
      this.unit = unit;
    }

    /** The start of the window that contains {@code at}. */
    public Instant start(Instant at) {
      // Instant truncation counts from the epoch, which began at 00:00 UTC: days are UTC days.
      return at.truncatedTo(unit);
    }

    /** The end (exclusive) of the window that starts at {@code start}. */
    public Instant end(Instant start) {
      return start.plus(length());
    }

    public Duration length() {
      return unit.getDuration();
    }

    /** The lower-case name used in the snapshot file. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Window fromId(String id) {
      return valueOf(id.toUpperCase(Locale.ROOT));
    }
  }
}
