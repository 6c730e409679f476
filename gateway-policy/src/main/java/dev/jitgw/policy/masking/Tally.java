package dev.jitgw.policy.masking;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Counts of masked values by detector name. Not thread-safe. */
final class Tally {
  private final TreeMap<String, Long> counts = new TreeMap<>();

  void add(String name, long n) {
    if (n > 0) {
      counts.merge(name, n, Long::sum);
    }
  }

  void addAll(Map<String, Long> more) {
    more.forEach(this::add);
  }

  boolean isEmpty() {
    return counts.isEmpty();
  }

  Map<String, Long> snapshot() {
    return Collections.unmodifiableSortedMap(new TreeMap<>(counts));
  }

  /** A sorted copy, with {@code more} added. */
  Map<String, Long> with(Map<String, Long> more) {
    TreeMap<String, Long> all = new TreeMap<>(counts);
    more.forEach((k, v) -> all.merge(k, v, Long::sum));
    return Collections.unmodifiableSortedMap(all);
  }
}
