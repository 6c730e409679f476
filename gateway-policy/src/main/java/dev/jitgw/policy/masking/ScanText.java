package dev.jitgw.policy.masking;

import java.util.Arrays;

/**
 * The text of one scan as a char array, with the positions detectors start from, found in one pass
 * shared by all of them: starts of digit runs, capital letters, and the few punctuation marks that
 * anchor a value ({@code @ + : = -}). A detector visits its positions instead of reading the whole
 * text. Reused from scan to scan; not thread-safe.
 */
final class ScanText {
  static final int DIGIT_RUN = 1;
  static final int UPPER = 1 << 1;
  static final int AT = 1 << 2;
  static final int PLUS = 1 << 3;
  static final int COLON = 1 << 4;
  static final int EQUALS = 1 << 5;
  static final int DASH = 1 << 6;
  static final int CLASSES = 7;

  private static final byte[] CLASS = new byte[128];

  static {
    for (char c = '0'; c <= '9'; c++) {
      CLASS[c] = DIGIT_RUN;
    }
    for (char c = 'A'; c <= 'Z'; c++) {
      CLASS[c] = UPPER;
    }
    CLASS['@'] = AT;
    CLASS['+'] = PLUS;
    CLASS[':'] = COLON;
    CLASS['='] = EQUALS;
    CLASS['-'] = DASH;
  }

  char[] chars = new char[256];
  int length;

  /** Position lists by class (index = bit number). */
  private final int[][] positions = new int[CLASSES][];

  private final int[] counts = new int[CLASSES];

  private int present;
  private int presentBefore;

  /** The text before this is indexed. */
  private int indexedTo;

  ScanText() {
    for (int k = 0; k < CLASSES; k++) {
      positions[k] = new int[32];
    }
  }

  /** Copies {@code s} in as the text. */
  void set(String s) {
    length = 0;
    resetIndex();
    append(s);
  }

  void append(char[] source, int offset, int count) {
    reserve(count);
    System.arraycopy(source, offset, chars, length, count);
    length += count;
  }

  void append(CharSequence s) {
    int n = s.length();
    reserve(n);
    if (s instanceof String string) {
      string.getChars(0, n, chars, length);
    } else {
      for (int i = 0; i < n; i++) {
        chars[length + i] = s.charAt(i);
      }
    }
    length += n;
  }

  private void reserve(int more) {
    if (length + more > chars.length) {
      chars = Arrays.copyOf(chars, Math.max(length + more, chars.length * 2));
    }
  }

  /** Drops {@code text[0, n)}; indexed positions move with the text. */
  void dropPrefix(int n) {
    System.arraycopy(chars, n, chars, 0, length - n);
    length -= n;
    indexedTo = Math.max(0, indexedTo - n);
    for (int k = 0; k < CLASSES; k++) {
      int[] list = positions[k];
      int kept = 0;
      for (int i = 0; i < counts[k]; i++) {
        if (list[i] >= n) {
          list[kept++] = list[i] - n;
        }
      }
      counts[k] = kept;
    }
  }

  /** Forgets the indexed positions (the text was replaced). */
  void resetIndex() {
    Arrays.fill(counts, 0);
    indexedTo = 0;
  }

  /**
   * Indexes the positions of {@code classes} in the text not indexed yet. Positions found earlier
   * stay (the text before them did not change), so a stream indexes each char once.
   */
  void index(int classes) {
    int from = indexedTo;
    indexedTo = length;
    if (classes == 0) {
      return;
    }
    char[] c = chars;
    int end = length;
    byte[] table = CLASS;
    for (int i = from; i < end; i++) {
      char ch = c[i];
      if (ch >= 128) {
        continue;
      }
      int k = table[ch] & classes;
      if (k == 0) {
        continue;
      }
      if (k == DIGIT_RUN && i > 0 && Chars.isDigit(c[i - 1])) {
        continue; // not the start of a run
      }
      add(Integer.numberOfTrailingZeros(k), i);
    }
  }

  private void add(int k, int i) {
    int[] list = positions[k];
    if (counts[k] == list.length) {
      list = positions[k] = Arrays.copyOf(list, list.length * 2);
    }
    list[counts[k]++] = i;
  }

  /** The positions of one class ({@link #count} of them). */
  int[] positions(int cls) {
    return positions[Integer.numberOfTrailingZeros(cls)];
  }

  int count(int cls) {
    return counts[Integer.numberOfTrailingZeros(cls)];
  }

  /**
   * Prepares a scan from {@code from}: notes which classes have positions at or after {@code from}
   * ({@link #present()}), and at or after {@code from - INDEX_BEFORE} ({@link #presentBefore()}).
   * Positions are sorted, so the last one tells.
   */
  void startScan(int from, int classes) {
    int before = Math.max(0, from - Detector.INDEX_BEFORE);
    int found = 0;
    int foundBefore = 0;
    for (int k = 0; k < CLASSES; k++) {
      int count = counts[k];
      if ((classes & (1 << k)) != 0 && count > 0) {
        int last = positions[k][count - 1];
        if (last >= from) {
          found |= 1 << k;
        }
        if (last >= before) {
          foundBefore |= 1 << k;
        }
      }
    }
    present = found;
    presentBefore = foundBefore;
  }

  /** The classes with positions from {@code INDEX_BEFORE} before the scan's start. */
  int presentBefore() {
    return presentBefore;
  }

  /** The classes with positions in the current scan (see startScan). */
  int present() {
    return present;
  }

  /** The first index into the list of {@code cls} whose position is at least {@code at}. */
  int first(int cls, int at) {
    int k = Integer.numberOfTrailingZeros(cls);
    int[] list = positions[k];
    int count = counts[k];
    // Streams look near the end: try the last few positions before searching.
    if (count == 0 || list[count - 1] < at) {
      return count;
    }
    if (count == 1 || list[count - 2] < at) {
      return count - 1;
    }
    int lo = 0;
    int hi = count - 2;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (list[mid] < at) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  // --- String-like helpers over the chars ---

  char at(int i) {
    return i >= 0 && i < length ? chars[i] : 0;
  }

  char before(int i) {
    return i > 0 ? chars[i - 1] : 0;
  }

  boolean startsWith(String literal, int at) {
    int n = literal.length();
    if (at < 0 || at + n > length) {
      return false;
    }
    for (int k = 0; k < n; k++) {
      if (chars[at + k] != literal.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code text[at, at + k)} equals {@code literal[0, k)}. */
  boolean regionMatches(int at, String literal, int k) {
    if (at < 0 || at + k > length) {
      return false;
    }
    for (int j = 0; j < k; j++) {
      if (chars[at + j] != literal.charAt(j)) {
        return false;
      }
    }
    return true;
  }

  boolean regionMatchesIgnoreCase(int at, String lowerLiteral) {
    int n = lowerLiteral.length();
    if (at < 0 || at + n > length) {
      return false;
    }
    for (int j = 0; j < n; j++) {
      char c = chars[at + j];
      if (c >= 'A' && c <= 'Z') {
        c += 32;
      }
      if (c != lowerLiteral.charAt(j)) {
        return false;
      }
    }
    return true;
  }

  String substring(int from, int to) {
    return new String(chars, from, to - from);
  }

  @Override
  public String toString() {
    return new String(chars, 0, length);
  }
}
