package dev.jitgw.policy.masking;

import java.util.Arrays;

/**
 * The text of one scan as a char array, with the positions detectors start from, found in one pass
 * shared by all of them: starts of digit runs, capital letters followed by a capital, the letter
 * {@code J}, and the few punctuation marks that anchor a value ({@code @ + : = -}). A detector
 * visits its positions instead of reading the whole text. Reused from scan to scan; not
 * thread-safe.
 */
final class ScanText {
  static final int DIGIT_RUN = 1;

  /**
   * A capital letter followed by a capital (an access key's prefix, an IBAN's country code), or
   * ending the text when it was indexed: prose capitals, followed by small letters, are not.
   */
  static final int CAPS = 1 << 1;

  static final int AT = 1 << 2;
  static final int PLUS = 1 << 3;
  static final int COLON = 1 << 4;
  static final int EQUALS = 1 << 5;
  static final int DASH = 1 << 6;

  /** The {@code J} of a JWT's {@code eyJ}. */
  static final int LETTER_J = 1 << 7;

  static final int CLASSES = 8;

  /** Per ASCII char, the classes it may be a position of (a capital: {@link #CAPS}, once known). */
  private static final short[] CLASS = new short[128];

  static {
    for (char c = '0'; c <= '9'; c++) {
      CLASS[c] = DIGIT_RUN;
    }
    for (char c = 'A'; c <= 'Z'; c++) {
      CLASS[c] = CAPS;
    }
    CLASS['J'] = CAPS | LETTER_J;
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

  /**
   * Per class, the first index into its list whose position is at least {@link #scanBefore}, the
   * current scan's start less {@link Detector#INDEX_BEFORE}: where {@link #first} searches from.
   */
  private final int[] scanFirst = new int[CLASSES];

  private int scanBefore = Integer.MAX_VALUE;

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
    scanBefore = Integer.MAX_VALUE;
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
    scanBefore = Integer.MAX_VALUE;
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
    short[] table = CLASS;
    for (int i = from; i < end; i++) {
      char ch = c[i];
      if (ch >= 128) {
        continue;
      }
      int k = table[ch] & classes;
      if (k != 0) {
        indexChar(k, i);
      }
    }
    capsAtEnd(classes);
  }

  /**
   * Notes the positions the char at {@code i}, of classes {@code k}, makes: itself, or for a
   * capital the capital before it.
   */
  private void indexChar(int k, int i) {
    if (k == DIGIT_RUN) {
      if (i == 0 || !Chars.isDigit(chars[i - 1])) {
        add(list(DIGIT_RUN), i); // the start of a run
      }
      return;
    }
    if ((k & CAPS) != 0) {
      if (i > 0 && Chars.isUpper(chars[i - 1]) && !last(CAPS, i - 1)) {
        add(list(CAPS), i - 1); // a capital followed by this one
      }
      if ((k & LETTER_J) != 0) {
        add(list(LETTER_J), i);
      }
      return;
    }
    add(list(k), i); // one of the others, or a J without CAPS
  }

  /** The index of the position list of {@code cls} (one class). */
  private static int list(int cls) {
    return Integer.numberOfTrailingZeros(cls);
  }

  /**
   * A capital ending the text may be followed by a capital in the next piece: it is a {@link #CAPS}
   * position until then (when it is not, a detector looks and finds nothing).
   */
  private void capsAtEnd(int classes) {
    int i = length - 1;
    if ((classes & CAPS) != 0 && i >= 0 && Chars.isUpper(chars[i]) && !last(CAPS, i)) {
      add(list(CAPS), i);
    }
  }

  /** Whether {@code i} is the last position of {@code cls}. */
  private boolean last(int cls, int i) {
    int k = Integer.numberOfTrailingZeros(cls);
    return counts[k] > 0 && positions[k][counts[k] - 1] == i;
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
   * Positions are sorted, so the last one tells. Notes too where each class's positions from {@code
   * from - INDEX_BEFORE} start, for {@link #first}.
   */
  void startScan(int from, int classes) {
    int before = Math.max(0, from - Detector.INDEX_BEFORE);
    int found = 0;
    int foundBefore = 0;
    for (int k = 0; k < CLASSES; k++) {
      int count = counts[k];
      int first = 0;
      if ((classes & (1 << k)) != 0 && count > 0) {
        int[] list = positions[k];
        int last = list[count - 1];
        if (last >= from) {
          found |= 1 << k;
        }
        if (last >= before) {
          foundBefore |= 1 << k;
        }
        if (before > 0) {
          // A stream's window is at the end of its text: walk back over its few positions.
          first = count;
          while (first > 0 && list[first - 1] >= before) {
            first--;
          }
        }
      }
      scanFirst[k] = first;
    }
    present = found;
    presentBefore = foundBefore;
    scanBefore = before;
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
    int lo = at >= scanBefore ? scanFirst[k] : 0;
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

  // --- The text of a JSON string, decoded and indexed in one pass ---

  /**
   * {@link #PLAIN}: the byte ends a run of plain ASCII (a control char, quote, backslash, UTF-8).
   */
  private static final int STOP = 1 << 8;

  /** Per byte: its class bits, or {@link #STOP}. */
  private static final short[] PLAIN = new short[256];

  static {
    for (int b = 0; b < 256; b++) {
      PLAIN[b] = Json.plainInString(b) ? CLASS[b] : (short) STOP;
    }
  }

  /** Chars the last {@link #decodeJson} put after {@link #length}, not yet part of the text. */
  int decoded;

  /** Whether those chars came as plain ASCII, without escapes: char k is byte k of the string. */
  boolean decodedAscii;

  /** The classes the last {@link #decodeJson} indexed. */
  private int decodedClasses;

  /**
   * Decodes a JSON string body (RFC 8259 section 7) from {@code p} up to its closing quote into the
   * chars after the text, indexing the positions of {@code classes} as {@link #index} would: one
   * pass for both. The chars ({@link #decoded} of them) become text with {@link #commitDecoded}, or
   * are forgotten with {@link #dropDecoded}.
   *
   * @return the index after the closing quote, or -1 if the bytes are not valid JSON and UTF-8 or
   *     the quote is missing (nothing to drop then)
   */
  int decodeJson(byte[] data, int p, int to, int classes) {
    if (indexedTo != length) {
      index(classes);
    }
    decodedClasses = classes;
    int mask = classes | STOP;
    short[] plain = PLAIN;
    int n = length;
    char[] t = chars;
    decodedAscii = true;
    while (p < to) {
      // A run of plain ASCII without class chars, the common case, in a counted loop.
      int room = Math.min(to - p, t.length - n);
      int run = 0;
      while (run < room && (plain[data[p + run] & 0xFF] & mask) == 0) {
        t[n + run] = (char) data[p + run];
        run++;
      }
      p += run;
      n += run;
      if (t.length - n < 2) {
        t = chars = Arrays.copyOf(t, t.length * 2); // a character outside the BMP takes two
      }
      if (run == room) {
        continue;
      }
      int b = data[p];
      int f = plain[b & 0xFF] & mask;
      if (f < STOP) {
        indexChar(f, n); // one of the classes
        t[n++] = (char) b;
        p++;
        continue;
      }
      if (b == '"') {
        decoded = n - length;
        return p + 1;
      }
      decodedAscii = false;
      if (b == '\\') {
        if (p + 1 >= to) {
          return fail();
        }
        int e = data[p + 1];
        char c;
        switch (e) {
          case '"' -> c = '"';
          case '\\' -> c = '\\';
          case '/' -> c = '/';
          case 'b' -> c = '\b';
          case 'f' -> c = '\f';
          case 'n' -> c = '\n';
          case 'r' -> c = '\r';
          case 't' -> c = '\t';
          case 'u' -> {
            if (p + 6 > to) {
              return fail();
            }
            int v = 0;
            for (int k = p + 2; k < p + 6; k++) {
              int h = Character.digit(data[k], 16);
              if (h < 0) {
                return fail();
              }
              v = v * 16 + h;
            }
            c = (char) v;
            p += 4;
          }
          default -> {
            return fail();
          }
        }
        if (c < 128 && (CLASS[c] & classes) != 0) {
          indexChar(CLASS[c] & classes, n);
        }
        t[n++] = c;
        p += 2;
        continue;
      }
      if (b >= 0) {
        return fail(); // a raw control character
      }
      // UTF-8 (RFC 3629): 2 to 4 bytes, no overlong forms, no surrogates, at most U+10FFFF.
      int lead = b & 0xFF;
      int count;
      int cp;
      int min;
      if (lead >= 0xC2 && lead <= 0xDF) {
        count = 2;
        cp = lead & 0x1F;
        min = 0x80;
      } else if (lead >= 0xE0 && lead <= 0xEF) {
        count = 3;
        cp = lead & 0x0F;
        min = 0x800;
      } else if (lead >= 0xF0 && lead <= 0xF4) {
        count = 4;
        cp = lead & 0x07;
        min = 0x10000;
      } else {
        return fail();
      }
      if (p + count > to) {
        return fail();
      }
      for (int k = 1; k < count; k++) {
        int cont = data[p + k] & 0xFF;
        if ((cont & 0xC0) != 0x80) {
          return fail();
        }
        cp = (cp << 6) | (cont & 0x3F);
      }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return fail();
      }
      if (cp >= 0x10000) {
        t[n++] = Character.highSurrogate(cp);
        t[n++] = Character.lowSurrogate(cp);
      } else {
        t[n++] = (char) cp;
      }
      p += count;
    }
    return fail(); // no closing quote
  }

  private int fail() {
    dropDecoded();
    return -1;
  }

  /** Makes the chars of the last {@link #decodeJson} part of the text (they are indexed). */
  void commitDecoded() {
    length += decoded;
    indexedTo = length;
    decoded = 0;
    capsAtEnd(decodedClasses);
  }

  /** Forgets the chars of the last {@link #decodeJson} and their positions. */
  void dropDecoded() {
    scanBefore = Integer.MAX_VALUE;
    for (int k = 0; k < CLASSES; k++) {
      int count = counts[k];
      while (count > 0 && positions[k][count - 1] >= length) {
        count--;
      }
      counts[k] = count;
    }
    decoded = 0;
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
