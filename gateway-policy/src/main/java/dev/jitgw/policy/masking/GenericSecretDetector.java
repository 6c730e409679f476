package dev.jitgw.policy.masking;

/**
 * {@code generic_secret}: a high-entropy value after a label that names a secret: {@code
 * API_KEY=...}, {@code "client_secret": "..."}, {@code token: ...}, {@code Authorization: Bearer
 * ...}. Only the value is masked; the label stays, so the reader sees what was there.
 *
 * <ul>
 *   <li>Label: an identifier ({@code A-Z a-z 0-9 _ - .}, optionally quoted) whose lower-case form
 *       ends with {@code key}, {@code secret}, {@code token}, {@code password}, {@code passwd},
 *       {@code pwd}, {@code passphrase}, {@code credential(s)}, {@code auth} or {@code
 *       authorization}.
 *   <li>Separator: {@code =}, {@code :}, {@code :=} or {@code =>}, with up to three spaces on each
 *       side, an optional opening quote, and an optional {@code Bearer}/{@code Basic}/{@code token}
 *       scheme word.
 *   <li>Value: 16 to 512 of {@code A-Z a-z 0-9 + / = _ - . ~}, with letters and digits both, and at
 *       least 3 bits of Shannon entropy per character. Placeholders ({@code YOUR_API_KEY}),
 *       variable references and words do not qualify.
 * </ul>
 */
final class GenericSecretDetector extends Detector {
  static final String NAME = "generic_secret";
  private static final String[] KEYWORDS = {
    "key",
    "secret",
    "token",
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "credential",
    "credentials",
    "auth",
    "authorization"
  };
  private static final String[] SCHEMES = {"bearer ", "basic ", "token "};

  /** The last letters of the keywords, lower case: most labels are ruled out by theirs. */
  private static final boolean[] KEYWORD_ENDS = new boolean[128];

  static {
    for (String keyword : KEYWORDS) {
      KEYWORD_ENDS[keyword.charAt(keyword.length() - 1)] = true;
    }
  }

  private static final int MAX_LABEL = 64;
  private static final int MAX_SPACES = 3;
  private static final int MIN_VALUE = 16;
  private static final int MAX_VALUE = 512;
  private static final double MIN_ENTROPY = 3.0;

  /** How far before the value a separator may sit: label quote, spaces, scheme word. */
  private static final int SEPARATOR_REACH = 2 + MAX_SPACES + 1 + 7;

  GenericSecretDetector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return MAX_VALUE;
  }

  static boolean isValueChar(char c) {
    return Chars.isAlnum(c)
        || c == '+'
        || c == '/'
        || c == '='
        || c == '_'
        || c == '-'
        || c == '.'
        || c == '~';
  }

  private static boolean isLabelChar(char c) {
    return Chars.isAlnum(c) || c == '_' || c == '-' || c == '.';
  }

  @Override
  int classes() {
    return ScanText.COLON | ScanText.EQUALS;
  }

  @Override
  boolean readsPositionsBefore() {
    return true; // the separator before a value that starts in the window
  }

  @Override
  int scan(ScanText text, int from, int limit, boolean complete, MatchSink sink) {
    char[] c = text.chars;
    int end = text.length;
    // A separator in the context may introduce a value that starts in the window. Every separator
    // is examined, also those inside a value just masked (a value may contain '='), so that where
    // the window starts never changes what is found.
    int first = Math.max(0, from - SEPARATOR_REACH);
    int[] colons = text.positions(ScanText.COLON);
    int colonCount = text.count(ScanText.COLON);
    int[] equals = text.positions(ScanText.EQUALS);
    int equalsCount = text.count(ScanText.EQUALS);
    int ci = text.first(ScanText.COLON, first);
    int ei = text.first(ScanText.EQUALS, first);
    int decided = from;
    while (ci < colonCount || ei < equalsCount) {
      int sep;
      if (ei >= equalsCount || (ci < colonCount && colons[ci] < equals[ei])) {
        sep = colons[ci++];
      } else {
        sep = equals[ei++];
      }
      if (sep >= limit) {
        return limit;
      }
      int valueFrom = separatorEnd(text, sep);
      if (valueFrom < 0 || !labelBefore(c, sep)) {
        continue;
      }
      int v = valueStart(text, valueFrom);
      if (v < decided) {
        continue; // inside a value already found, or decided in an earlier window
      }
      if (v >= limit) {
        return limit;
      }
      if (v == end) {
        continue; // the value has not started: the next window sees this separator again
      }
      int w = v;
      while (w < end && w - v < MAX_VALUE && isValueChar(c[w])) {
        w++;
      }
      if (w == end && !complete && w - v < MAX_VALUE) {
        return v;
      }
      int e = w;
      while (e > v && c[e - 1] == '.') {
        e--;
      }
      if (validValue(c, v, e)) {
        sink.match(v, e);
        decided = e;
      }
    }
    return limit;
  }

  /**
   * Where the value may start after the separator at {@code sep}; -1 when the character is part of
   * an operator ({@code ==}, {@code !=}, {@code ::}, {@code <=}) rather than a separator.
   */
  private static int separatorEnd(ScanText text, int sep) {
    char before = text.before(sep);
    char after = text.at(sep + 1);
    if (text.chars[sep] == ':') {
      if (after == ':' || before == ':') {
        return -1;
      }
      return after == '=' ? sep + 2 : sep + 1;
    }
    if (before == '=' || before == '!' || before == '<' || before == '>' || before == ':') {
      return -1;
    }
    if (before == '+' || before == '-' || before == '*' || before == '/' || before == '|') {
      return -1;
    }
    if (after == '=') {
      return -1;
    }
    return after == '>' ? sep + 2 : sep + 1;
  }

  private static boolean labelBefore(char[] c, int sep) {
    int k = sep;
    while (k > 0 && sep - k < MAX_SPACES && c[k - 1] == ' ') {
      k--;
    }
    if (k > 0 && (c[k - 1] == '"' || c[k - 1] == '\'')) {
      k--;
    }
    int labelEnd = k;
    // Most labels are ruled out by their last letter, before the label is read back.
    if (k == 0 || !isLabelChar(c[k - 1]) || !KEYWORD_ENDS[c[k - 1] | 0x20]) { // label chars: ASCII
      return false;
    }
    while (k > 0 && labelEnd - k < MAX_LABEL && isLabelChar(c[k - 1])) {
      k--;
    }
    for (String keyword : KEYWORDS) {
      if (endsWithIgnoreCase(c, k, labelEnd, keyword)) {
        return true;
      }
    }
    return false;
  }

  private static boolean endsWithIgnoreCase(char[] c, int from, int to, String lower) {
    int n = lower.length();
    if (to - from < n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char ch = c[to - n + i];
      if (ch >= 'A' && ch <= 'Z') {
        ch += 32;
      }
      if (ch != lower.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static int valueStart(ScanText text, int from) {
    char[] c = text.chars;
    int end = text.length;
    int v = from;
    while (v < end && v - from < MAX_SPACES && c[v] == ' ') {
      v++;
    }
    if (v < end && (c[v] == '"' || c[v] == '\'' || c[v] == '`')) {
      v++;
    }
    for (String scheme : SCHEMES) {
      if (text.regionMatchesIgnoreCase(v, scheme)) {
        return v + scheme.length();
      }
    }
    return v;
  }

  private static boolean validValue(char[] c, int from, int to) {
    if (to - from < MIN_VALUE) {
      return false;
    }
    boolean letter = false;
    boolean digit = false;
    for (int i = from; i < to; i++) {
      letter |= Chars.isLetter(c[i]);
      digit |= Chars.isDigit(c[i]);
    }
    return letter && digit && Chars.entropy(c, from, to) >= MIN_ENTROPY;
  }
}
