package dev.jitgw.policy.masking;

/**
 * A detector that finds candidate start positions cheaply (from the positions {@link ScanText}
 * indexed) and then decides each one by looking forward from it. Most built-in detectors have this
 * shape.
 */
abstract class CandidateDetector extends Detector {
  /** {@link #matchAt}: no match starts here. */
  static final int NO = -1;

  /** {@link #matchAt}: the answer depends on text past the end of the window. */
  static final int MORE = -2;

  CandidateDetector(String name) {
    super(name);
  }

  /**
   * The first candidate start at or after {@code from} and before {@code limit}, or -1. When the
   * window may continue, a candidate cut by its end (a literal prefix) is a candidate too.
   */
  abstract int next(ScanText text, int from, int limit, boolean complete);

  /**
   * Decides the candidate at {@code start}: the end of the match, {@link #NO}, or (only when not
   * {@code complete}) {@link #MORE}.
   */
  abstract int matchAt(ScanText text, int start, boolean complete);

  @Override
  final int scan(ScanText text, int from, int limit, boolean complete, MatchSink sink) {
    int i = from;
    while (i < limit) {
      int start = next(text, i, limit, complete);
      if (start < 0 || start >= limit) {
        return limit;
      }
      int end = matchAt(text, start, complete);
      if (end == MORE) {
        return start;
      }
      if (end > start) {
        sink.match(start, end);
        i = end;
      } else {
        i = start + 1;
      }
    }
    return limit;
  }

  /** Whether a value may start at {@code start}, judged by the char before it. */
  boolean leftBoundary(ScanText text, int start) {
    return true;
  }

  /**
   * The first position at or after {@code from} (and before {@code limit}) where {@code literal}
   * occurs with a passing {@link #leftBoundary}, found from the indexed positions of {@code cls}:
   * each is the {@code offset}-th char of an occurrence. Else a proper prefix of the literal ending
   * the window, when it may continue. Else -1.
   */
  final int nextLiteral(
      ScanText text, String literal, int cls, int offset, int from, int limit, boolean complete) {
    int[] positions = text.positions(cls);
    int count = text.count(cls);
    for (int p = text.first(cls, from + offset); p < count; p++) {
      int start = positions[p] - offset;
      if (start >= limit) {
        return -1;
      }
      if (text.startsWith(literal, start) && leftBoundary(text, start)) {
        return start;
      }
    }
    if (!complete && text.length > from) {
      int end = text.length;
      char last = text.chars[end - 1];
      // Which proper prefixes of the literal end with this char: usually none.
      int k = Math.min(literal.length() - 1, end - from);
      for (; k > 0; k--) {
        if (literal.charAt(k - 1) != last) {
          continue;
        }
        int start = end - k;
        if (start < limit && text.regionMatches(start, literal, k) && leftBoundary(text, start)) {
          return start;
        }
      }
    }
    return -1;
  }

  /**
   * Checks that the text continues with {@code literal} at {@code at}: 1 when it does, {@link #NO}
   * when it does not, {@link #MORE} when the window ends inside it (and may continue).
   */
  static int expect(ScanText text, int at, String literal, boolean complete) {
    int end = text.length;
    for (int k = 0; k < literal.length(); k++) {
      if (at + k == end) {
        return complete ? NO : MORE;
      }
      if (text.chars[at + k] != literal.charAt(k)) {
        return NO;
      }
    }
    return 1;
  }
}
