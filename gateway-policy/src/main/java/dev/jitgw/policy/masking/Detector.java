package dev.jitgw.policy.masking;

/**
 * One detector: finds the values it masks in a window of text that may continue later.
 *
 * <p>The contract every implementation keeps, which is what lets {@link TextStream} emit text early
 * and still mask exactly what {@link Masker#mask} masks in the whole text:
 *
 * <ul>
 *   <li>{@code text[0, from)} is context that was already emitted (at least {@link #LOOKBEHIND}
 *       characters of it, or all of it when the text started there). A detector reads it (word
 *       boundaries, a {@code key=} label) but never reports a match starting before {@code from}.
 *   <li>When {@code complete} is false the text may continue after {@code text.length()}. A
 *       detector then reports only final matches (ones more text cannot change) and returns the
 *       smallest index at which a match could still be in progress, or become one with more text:
 *       the hold-back point. Everything before it is decided.
 *   <li>Matches are reported in increasing order, do not overlap each other, and are not longer
 *       than {@link #maxLength()}. A detector may stop at {@code limit} (a hold-back point already
 *       found): matches starting there are not needed in this round.
 *   <li>Scanning is linear in the window: each start position is examined a bounded number of
 *       times, independent of the text.
 * </ul>
 *
 * <p>Implementations are immutable and thread-safe.
 */
abstract class Detector {
  /** How far before {@code from} a detector may read; {@link TextStream} keeps this much. */
  static final int LOOKBEHIND = 256;

  private final String name;

  Detector(String name) {
    this.name = name;
  }

  final String name() {
    return name;
  }

  /** The longest match this detector reports, in UTF-16 chars. */
  abstract int maxLength();

  /**
   * Scans {@code text[from, text.length)}. The positions of {@link #classes()} are indexed from at
   * most {@link #INDEX_BEFORE} chars before {@code from}.
   *
   * @return the hold-back point in {@code [from, limit]}: {@code limit} when nothing before it is
   *     still open (always so when {@code complete})
   */
  abstract int scan(ScanText text, int from, int limit, boolean complete, MatchSink sink);

  /**
   * The {@link ScanText} position classes this detector visits. A detector that has none of them in
   * a scan, and whose {@link #mayPendAtEnd} is false, is skipped: it can find nothing.
   */
  abstract int classes();

  /**
   * Whether text ending with {@code last} may hold the start of a value that has none of the
   * positions of {@link #classes()} yet (a literal's first chars, a word before an {@code @}).
   * Detectors without {@link #classes()} are never skipped. Must depend on whether {@code last} is
   * ASCII only above ASCII (it is asked once, for a few chars).
   */
  boolean mayPendAtEnd(char last) {
    return false;
  }

  /** How far before {@code from} positions are indexed (a separator before a value). */
  static final int INDEX_BEFORE = 16;

  /**
   * Whether this detector starts from positions before {@code from} (up to {@link #INDEX_BEFORE});
   * others only from positions at or after it.
   */
  boolean readsPositionsBefore() {
    return false;
  }

  /** Receives the matches of one detector. */
  interface MatchSink {
    void match(int start, int end);
  }

  @Override
  public String toString() {
    return name;
  }
}
