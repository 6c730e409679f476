package dev.jitgw.policy.masking;

import java.util.Map;

/**
 * Masks one text that arrives in pieces (the text deltas of one content block). {@link #push}
 * returns at once everything that is decided; what could still be the start of a value is held
 * back, and only for as long as a value could be in progress: a word that might be the local part
 * of an email address until the next character, a run of digits until it ends, a PEM block until
 * its END line. {@link #finish} returns the rest. Concatenated, the outputs equal {@link
 * Masker#mask} of the concatenated input, and no part of a value is ever returned unmasked.
 *
 * <p>Not thread-safe: one per content block.
 */
public final class TextStream {
  private final Masker masker;
  private final long[] counts;
  private final Masker.Matches matches = new Masker.Matches();
  private final StringBuilder out = new StringBuilder();

  /** Emitted context (up to {@link Detector#LOOKBEHIND} chars), then the held text. */
  private String buffer = "";

  private int from;
  private boolean finished;

  TextStream(Masker masker) {
    this.masker = masker;
    this.counts = new long[masker.size()];
  }

  /**
   * Adds the next piece of text.
   *
   * @return the text decided by it, masked; possibly empty
   */
  public String push(CharSequence piece) {
    if (finished) {
      throw new IllegalStateException("push after finish");
    }
    if (piece.length() == 0) {
      return "";
    }
    if (masker.isEmpty()) {
      return piece.toString();
    }
    String text = buffer.isEmpty() ? piece.toString() : buffer.concat(piece.toString());
    out.setLength(0);
    int hold = masker.round(text, from, false, out, counts, matches);
    int keep = Math.max(0, hold - Detector.LOOKBEHIND);
    buffer = keep == 0 ? text : text.substring(keep);
    from = hold - keep;
    return out.toString();
  }

  /** Ends the text: returns what was held back, masked. */
  public String finish() {
    if (finished) {
      return "";
    }
    finished = true;
    if (from == buffer.length()) {
      return "";
    }
    out.setLength(0);
    masker.round(buffer, from, true, out, counts, matches);
    buffer = "";
    from = 0;
    return out.toString();
  }

  /** How many chars are held back now. */
  public int held() {
    return buffer.length() - from;
  }

  /** Values masked so far, by detector. */
  public Map<String, Long> counts() {
    return masker.counts(counts);
  }

  long[] rawCounts() {
    return counts;
  }
}
