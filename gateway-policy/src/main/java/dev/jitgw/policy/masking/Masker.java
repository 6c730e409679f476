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

  /** Scratch text for {@link #mask}, one per thread (event loops reuse theirs). */
  private static final ThreadLocal<ScanText> SCRATCH = ThreadLocal.withInitial(ScanText::new);

  private final Detector[] detectors;
  private final int classes;

  // Per detector, what decides whether it must scan, read once: calls through the Detector type
  // are megamorphic, and a round asks for every detector.
  private final int[] detectorClasses;
  private final boolean[] readsBefore;
  private final long[] pendsAtEnd; // two words per detector: the ASCII chars mayPendAtEnd accepts
  private final boolean[] pendsAtEndAboveAscii;

  // With at most 64 detectors, which must scan is worked out on bit sets: per class, the detectors
  // that start from it; per last char, the detectors that may wait for more; those always run.
  private final long[] byClass = new long[ScanText.CLASSES];
  private final long[] byClassBefore = new long[ScanText.CLASSES];
  private final long[] byLastChar = new long[129]; // [128]: any char above ASCII
  private long always;
  private final String[] replacements;
  private final List<String> names;
  private final int maxMatchLength;

  Masker(List<Detector> detectors) {
    if (detectors.size() >= 0xFFFF) {
      throw new IllegalArgumentException(
          "detectors: " + detectors.size() + " (expected: fewer than 65535)");
    }
    this.detectors = detectors.toArray(new Detector[0]);
    int classes = 0;
    int n = this.detectors.length;
    this.detectorClasses = new int[n];
    this.readsBefore = new boolean[n];
    this.pendsAtEnd = new long[2 * n];
    this.pendsAtEndAboveAscii = new boolean[n];
    for (int d = 0; d < n; d++) {
      Detector detector = this.detectors[d];
      classes |= detector.classes();
      detectorClasses[d] = detector.classes();
      readsBefore[d] = detector.readsPositionsBefore();
      for (char c = 0; c < 128; c++) {
        if (detector.mayPendAtEnd(c)) {
          pendsAtEnd[2 * d + (c >> 6)] |= 1L << (c & 63);
        }
      }
      pendsAtEndAboveAscii[d] = detector.mayPendAtEnd('\u00e9') || detector.mayPendAtEnd('\u4e00');
      if (d < 64) {
        long bit = 1L << d;
        if (detector.classes() == 0) {
          always |= bit;
        }
        for (int k = 0; k < ScanText.CLASSES; k++) {
          if ((detector.classes() & (1 << k)) != 0) {
            if (readsBefore[d]) {
              byClassBefore[k] |= bit;
            } else {
              byClass[k] |= bit;
            }
          }
        }
        for (char c = 0; c < 128; c++) {
          if (pendsAtEnd(d, c)) {
            byLastChar[c] |= bit;
          }
        }
        if (pendsAtEndAboveAscii[d]) {
          byLastChar[128] |= bit;
        }
      }
    }
    this.classes = classes;
    this.replacements = new String[this.detectors.length];
    List<String> names = new ArrayList<>();
    int max = 0;
    for (int i = 0; i < this.detectors.length; i++) {
      replacements[i] = replacement(this.detectors[i].name());
      names.add(this.detectors[i].name());
      max = Math.max(max, this.detectors[i].maxLength());
    }
    if (max > 0xFFFF) {
      throw new IllegalArgumentException("maxLength: " + max + " (expected: at most 65535)");
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

  /** Masks a whole text, replacing values with {@code [MASKED:<detector>]}. */
  public MaskResult mask(CharSequence text) {
    return mask(text, null);
  }

  /** Masks a whole text; {@code replacer} null: {@code [MASKED:<detector>]}. */
  MaskResult mask(CharSequence text, Replacer replacer) {
    requireNonNull(text, "text");
    String s = text.toString();
    if (detectors.length == 0) {
      return new MaskResult(s, Map.of());
    }
    long[] counts = new long[detectors.length];
    ScanText scan = SCRATCH.get();
    scan.set(s);
    CharSink out = new CharSink();
    int end = round(scan, 0, true, out, counts, new Matches(), replacer);
    assert end == s.length();
    if (scan.chars.length > 1 << 16) {
      SCRATCH.remove(); // do not keep a large body's worth of chars per thread
    }
    return new MaskResult(countsChanged(counts) ? out.toString() : s, counts(counts));
  }

  /** A stream for one text that arrives in pieces. */
  public TextStream stream() {
    return new TextStream(this, null);
  }

  /** A stream that replaces values with {@code replacer} (null: {@code [MASKED:<detector>]}). */
  TextStream stream(Replacer replacer) {
    return new TextStream(this, replacer);
  }

  int size() {
    return detectors.length;
  }

  /** The {@link ScanText} position classes the detectors start from. */
  int classes() {
    return classes;
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
   * complete}, {@code hold} is the end of the text. Values are replaced by {@code replacer}, or
   * with {@code [MASKED:<detector>]} when it is null.
   */
  int round(
      ScanText text,
      int from,
      boolean complete,
      CharSink out,
      long[] counts,
      Matches matches,
      Replacer replacer) {
    int end = text.length;
    int hold = end;
    matches.clear();
    text.index(classes);
    text.startScan(from, classes);
    int present = text.present();
    int presentBefore = text.presentBefore();
    char last = end > from ? text.chars[end - 1] : 0;
    if (detectors.length <= 64) {
      long run = always;
      for (int k = 0; k < ScanText.CLASSES; k++) {
        if ((present & (1 << k)) != 0) {
          run |= byClass[k];
        }
        if ((presentBefore & (1 << k)) != 0) {
          run |= byClassBefore[k];
        }
      }
      if (!complete && end > from) {
        run |= byLastChar[Math.min(last, 128)];
      }
      while (run != 0) {
        int d = Long.numberOfTrailingZeros(run);
        run &= run - 1;
        matches.detector = d;
        int pending = detectors[d].scan(text, from, hold, complete, matches);
        if (pending < hold) {
          hold = pending;
        }
      }
    } else {
      for (int d = 0; d < detectors.length; d++) {
        int classes = detectorClasses[d];
        if (classes != 0
            && (classes & (readsBefore[d] ? presentBefore : present)) == 0
            && (complete || !pendsAtEnd(d, last))) {
          continue; // nothing this detector starts from, and nothing it could be waiting for
        }
        matches.detector = d;
        int pending = detectors[d].scan(text, from, hold, complete, matches);
        if (pending < hold) {
          hold = pending;
        }
      }
    }
    char[] c = text.chars;
    if (!complete && hold == end && hold > from && Character.isHighSurrogate(c[end - 1])) {
      hold--; // wait for the second half of the character
    }
    if (matches.size > 0) {
      matches.normalize(text, from, complete);
      if (!complete) {
        hold = matches.settle(text, from, hold);
      }
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
      int first = k;
      k++;
      while (k < n && m[3 * k] < spanEnd) {
        spanEnd = Math.max(spanEnd, m[3 * k + 1]);
        k++;
      }
      out.append(c, pos, start - pos);
      if (replacer == null) {
        out.append(replacements[label]);
      } else {
        replacer.value(
            out, names.get(label), replacements[label], c, start, spanEnd, k == first + 1);
      }
      matches.replaced++;
      counts[label]++;
      pos = spanEnd;
    }
    out.append(c, pos, hold - pos);
    return hold;
  }

  private boolean pendsAtEnd(int d, char last) {
    if (last >= 128) {
      return pendsAtEndAboveAscii[d];
    }
    return (pendsAtEnd[2 * d + (last >> 6)] & (1L << (last & 63))) != 0;
  }

  /** Matches of one round: (start, end, detector) triples, reused. */
  static final class Matches implements Detector.MatchSink {
    int[] data = new int[48];
    private long[] keys = new long[16];
    int size;
    int detector;

    /** Values replaced in the round. */
    int replaced;

    void clear() {
      size = 0;
      replaced = 0;
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
    void normalize(ScanText scan, int from, boolean complete) {
      char[] text = scan.chars;
      int length = scan.length;
      for (int i = 0; i < size; i++) {
        int start = data[3 * i];
        int end = data[3 * i + 1];
        if (start > from
            && Character.isLowSurrogate(text[start])
            && Character.isHighSurrogate(text[start - 1])) {
          data[3 * i] = start - 1;
        }
        if (end < length
            && Character.isLowSurrogate(text[end])
            && Character.isHighSurrogate(text[end - 1])) {
          data[3 * i + 1] = end + 1;
        }
      }
      if (size > 1) {
        // Sort by start, longest first, then detector, packed into longs: a match is at most
        // 64 Ki chars long and a masker has fewer than 64 Ki detectors.
        if (keys.length < size) {
          keys = new long[Math.max(size, 2 * keys.length)];
        }
        for (int i = 0; i < size; i++) {
          long span = data[3 * i + 1] - data[3 * i];
          keys[i] = ((long) data[3 * i] << 32) | ((0xFFFFL - span) << 16) | data[3 * i + 2];
        }
        Arrays.sort(keys, 0, size);
        for (int i = 0; i < size; i++) {
          int start = (int) (keys[i] >>> 32);
          data[3 * i] = start;
          data[3 * i + 1] = start + (int) (0xFFFFL - ((keys[i] >>> 16) & 0xFFFF));
          data[3 * i + 2] = (int) (keys[i] & 0xFFFF);
        }
      }
    }

    /**
     * Moves {@code hold} back until no match crosses it: a match that starts before the hold-back
     * point but ends after it is redone, whole, in a later round.
     */
    int settle(ScanText scan, int from, int hold) {
      char[] text = scan.chars;
      int length = scan.length;
      int h = hold;
      boolean moved = true;
      while (moved) {
        moved = false;
        for (int i = 0; i < size; i++) {
          int start = data[3 * i];
          int end = data[3 * i + 1];
          boolean cutPair = end == length && Character.isHighSurrogate(text[end - 1]);
          if (start < h && (end > h || cutPair)) {
            h = start;
            moved = true;
          }
        }
      }
      if (h > from
          && h < length
          && Character.isHighSurrogate(text[h - 1])
          && Character.isLowSurrogate(text[h])) {
        h--;
      }
      return h;
    }
  }
}
