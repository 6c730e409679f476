package dev.jitgw.policy.masking;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compiled set of detectors that masks text: {@link #mask} for a whole text, {@link #stream()}
 * for text that arrives in pieces (streamed deltas). Both mask exactly the same values.
 *
 * <p>Overlapping matches of different detectors are masked as one value, named after the match that
 * starts first (the longest, then the detector listed first, when they start together).
 *
 * <p>Immutable and thread-safe; a {@link TextStream} is not.
 */
public final class Masker {
  private static final Masker NONE = new Masker(List.of());

  private final Detector[] detectors;
  private final String[] replacements;
  private final List<String> names;
  private final int maxMatchLength;

  Masker(List<Detector> detectors) {
    this.detectors = detectors.toArray(new Detector[0]);
    this.replacements = new String[this.detectors.length];
    List<String> names = new ArrayList<>();
    int max = 0;
    for (int i = 0; i < this.detectors.length; i++) {
      replacements[i] = replacement(this.detectors[i].name());
      names.add(this.detectors[i].name());
      max = Math.max(max, this.detectors[i].maxLength());
    }
    this.names = List.copyOf(names);
    this.maxMatchLength = max;
  }

  /** A masker that masks nothing. */
  public static Masker none() {
    return NONE;
  }

  /**
   * A masker with the named built-in detectors ({@link #builtInDetectors()}).
   *
   * @throws IllegalArgumentException for a name that is not a built-in detector
   */
  public static Masker builtIn(List<String> names) {
    List<Detector> detectors = new ArrayList<>();
    for (String name : names) {
      detectors.add(
          BuiltInDetectors.named(name)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "detector '"
                              + name
                              + "' (expected one of "
                              + BuiltInDetectors.names()
                              + ")")));
    }
    return new Masker(detectors);
  }

  /** The names of the built-in detectors. */
  public static List<String> builtInDetectors() {
    return BuiltInDetectors.names();
  }

  /** What a value found by {@code detector} is replaced with. */
  public static String replacement(String detector) {
    return "[MASKED:" + detector + "]";
  }

  /** The detector names, in the order they win ties. */
  public List<String> detectors() {
    return names;
  }

  public boolean isEmpty() {
    return detectors.length == 0;
  }

  /**
   * The longest value any detector matches, in UTF-16 chars: a stream never holds back more than
   * this (plus the piece that is arriving).
   */
  public int maxMatchLength() {
    return maxMatchLength;
  }

  /** Masks a whole text. */
  public MaskResult mask(CharSequence text) {
    requireNonNull(text, "text");
    String s = text.toString();
    long[] counts = new long[detectors.length];
    StringBuilder out = new StringBuilder(s.length() + 16);
    int end = round(s, 0, true, out, counts, new Matches());
    assert end == s.length();
    return new MaskResult(countsChanged(counts) ? out.toString() : s, counts(counts));
  }

  /** A stream for one text that arrives in pieces. */
  public TextStream stream() {
    return new TextStream(this);
  }

  int size() {
    return detectors.length;
  }

  Map<String, Long> counts(long[] counts) {
    Map<String, Long> map = new TreeMap<>();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] > 0) {
        map.merge(names.get(i), counts[i], Long::sum);
      }
    }
    return map;
  }

  private static boolean countsChanged(long[] counts) {
    for (long c : counts) {
      if (c > 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * One scan of {@code text[from, end)}: appends the decided part, {@code text[from, hold)} with
   * values replaced, to {@code out}, adds to {@code counts}, and returns {@code hold}. When {@code
   * complete}, {@code hold} is the end of the text.
   */
  int round(
      String text, int from, boolean complete, StringBuilder out, long[] counts, Matches matches) {
    int end = text.length();
    int hold = end;
    matches.clear();
    for (int d = 0; d < detectors.length; d++) {
      matches.detector = d;
      int pending = detectors[d].scan(text, from, hold, complete, matches);
      if (pending < hold) {
        hold = pending;
      }
    }
    if (!complete
        && hold == end
        && hold > from
        && Character.isHighSurrogate(text.charAt(end - 1))) {
      hold--; // wait for the second half of the character
    }
    matches.normalize(text, from, complete);
    if (!complete) {
      hold = matches.settle(text, from, hold);
    }
    int pos = from;
    int n = matches.size;
    int[] m = matches.data;
    int k = 0;
    while (k < n) {
      int start = m[3 * k];
      if (start >= hold) {
        break;
      }
      int spanEnd = m[3 * k + 1];
      int label = m[3 * k + 2];
      k++;
      while (k < n && m[3 * k] < spanEnd) {
        spanEnd = Math.max(spanEnd, m[3 * k + 1]);
        k++;
      }
      out.append(text, pos, start).append(replacements[label]);
      counts[label]++;
      pos = spanEnd;
    }
    out.append(text, pos, hold);
    return hold;
  }

  /** Matches of one round: (start, end, detector) triples, reused. */
  static final class Matches implements Detector.MatchSink {
    int[] data = new int[48];
    int size;
    int detector;

    void clear() {
      size = 0;
    }

    @Override
    public void match(int start, int end) {
      if (3 * size + 3 > data.length) {
        data = Arrays.copyOf(data, data.length * 2);
      }
      data[3 * size] = start;
      data[3 * size + 1] = end;
      data[3 * size + 2] = detector;
      size++;
    }

    /**
     * Widens matches to whole characters (a custom pattern may stop inside a surrogate pair) and
     * sorts them by start, longest first, then by detector.
     */
    void normalize(String text, int from, boolean complete) {
      for (int i = 0; i < size; i++) {
        int start = data[3 * i];
        int end = data[3 * i + 1];
        if (start > from
            && Character.isLowSurrogate(text.charAt(start))
            && Character.isHighSurrogate(text.charAt(start - 1))) {
          data[3 * i] = start - 1;
        }
        if (end < text.length()
            && Character.isLowSurrogate(text.charAt(end))
            && Character.isHighSurrogate(text.charAt(end - 1))) {
          data[3 * i + 1] = end + 1;
        }
      }
      // Insertion sort: a round has few matches, often already in order.
      for (int i = 1; i < size; i++) {
        int s = data[3 * i];
        int e = data[3 * i + 1];
        int d = data[3 * i + 2];
        int j = i - 1;
        while (j >= 0 && before(s, e, d, data[3 * j], data[3 * j + 1], data[3 * j + 2])) {
          data[3 * j + 3] = data[3 * j];
          data[3 * j + 4] = data[3 * j + 1];
          data[3 * j + 5] = data[3 * j + 2];
          j--;
        }
        data[3 * j + 3] = s;
        data[3 * j + 4] = e;
        data[3 * j + 5] = d;
      }
    }

    private static boolean before(int s1, int e1, int d1, int s2, int e2, int d2) {
      if (s1 != s2) {
        return s1 < s2;
      }
      if (e1 != e2) {
        return e1 > e2;
      }
      return d1 < d2;
    }

    /**
     * Moves {@code hold} back until no match crosses it: a match that starts before the hold-back
     * point but ends after it is redone, whole, in a later round.
     */
    int settle(String text, int from, int hold) {
      int h = hold;
      boolean moved = true;
      while (moved) {
        moved = false;
        for (int i = 0; i < size; i++) {
          int start = data[3 * i];
          int end = data[3 * i + 1];
          boolean cutPair = end == text.length() && Character.isHighSurrogate(text.charAt(end - 1));
          if (start < h && (end > h || cutPair)) {
            h = start;
            moved = true;
          }
        }
      }
      if (h > from
          && h < text.length()
          && Character.isHighSurrogate(text.charAt(h - 1))
          && Character.isLowSurrogate(text.charAt(h))) {
        h--;
      }
      return h;
    }
  }
}
