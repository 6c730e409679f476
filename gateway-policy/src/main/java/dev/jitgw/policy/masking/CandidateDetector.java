package dev.jitgw.policy.masking;

/**
 * A detector that finds candidate start positions cheaply and then decides each one by looking
 * forward from it. Most built-in detectors have this shape.
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
  abstract int next(String text, int from, int limit, boolean complete);

  /**
   * Decides the candidate at {@code start}: the end of the match, {@link #NO}, or (only when not
   * {@code complete}) {@link #MORE}.
   */
  abstract int matchAt(String text, int start, boolean complete);

  @Override
  final int scan(String text, int from, int limit, boolean complete, MatchSink sink) {
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

  /**
   * The first occurrence of {@code literal} at or after {@code from}, before {@code limit}, whose
   * start {@link #leftBoundary passes}; else a proper prefix of it ending the window when it may
   * continue; else -1.
   */
  final int nextLiteral(String text, String literal, int from, int limit, boolean complete) {
    int i = from;
    while (true) {
      int found = text.indexOf(literal, i);
      if (found < 0) {
        break;
      }
      if (found >= limit) {
        return -1;
      }
      if (leftBoundary(text, found)) {
        return found;
      }
      i = found + 1;
    }
    if (!complete) {
      int end = text.length();
      for (int k = Math.min(literal.length() - 1, end - from); k > 0; k--) {
        int start = end - k;
        if (start < limit
            && text.regionMatches(start, literal, 0, k)
            && leftBoundary(text, start)) {
          return start;
        }
      }
    }
    return -1;
  }

  /** Whether a value may start at {@code start}, judged by the char before it. */
  boolean leftBoundary(String text, int start) {
    return true;
  }

  /**
   * Checks that {@code text} continues with {@code literal} at {@code at}: 1 when it does, {@link
   * #NO} when it does not, {@link #MORE} when the window ends inside it (and may continue).
   */
  static int expect(String text, int at, String literal, boolean complete) {
    int end = text.length();
    for (int k = 0; k < literal.length(); k++) {
      if (at + k == end) {
        return complete ? NO : MORE;
      }
      if (text.charAt(at + k) != literal.charAt(k)) {
        return NO;
      }
    }
    return 1;
  }
}
