package dev.jitgw.policy.masking;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Masked text and how many values each detector replaced.
 *
 * @param text the text with every detected value replaced by {@code [MASKED:<detector>]}
 * @param counts detector name to number of replacements; only detectors that found something
 */
public record MaskResult(String text, Map<String, Long> counts) {
  public MaskResult {
    requireNonNull(text, "text");
    counts = Collections.unmodifiableSortedMap(new TreeMap<>(counts));
  }

  /** Whether anything was replaced. */
  public boolean changed() {
    return !counts.isEmpty();
  }
}
