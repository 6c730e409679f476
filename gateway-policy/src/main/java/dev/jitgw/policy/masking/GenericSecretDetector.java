package dev.jitgw.policy.masking;

import java.util.Locale;

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
 *   <li>Value: 16 to 1024 of {@code A-Z a-z 0-9 + / = _ - . ~}, with letters and digits both, and
 *       at least 3 bits of Shannon entropy per character. Placeholders ({@code YOUR_API_KEY}),
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
  private static final int MAX_LABEL = 64;
  private static final int MAX_SPACES = 3;
  private static final int MIN_VALUE = 16;
  private static final int MAX_VALUE = 1024;
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
  int scan(String text, int from, int limit, boolean complete, MatchSink sink) {
    int end = text.length();
    // A separator in the context may introduce a value that starts in the window.
    int i = Math.max(0, from - SEPARATOR_REACH);
    int nextColon = -2;
    int nextEquals = -2;
    // Every separator is examined, also those inside a value just masked (a value may contain
    // '='), so that where the window starts never changes what is found.
    int decided = from;
    while (i < end) {
      if (nextColon != -1 && nextColon < i) {
        nextColon = text.indexOf(':', i);
      }
      if (nextEquals != -1 && nextEquals < i) {
        nextEquals = text.indexOf('=', i);
      }
      int sep;
      if (nextColon < 0) {
        sep = nextEquals;
      } else if (nextEquals < 0) {
        sep = nextColon;
      } else {
        sep = Math.min(nextColon, nextEquals);
      }
      if (sep < 0 || sep >= limit) {
        return limit;
      }
      i = sep + 1;
      int valueFrom = separatorEnd(text, sep);
      if (valueFrom < 0 || !labelBefore(text, sep)) {
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
      while (w < end && w - v < MAX_VALUE && isValueChar(text.charAt(w))) {
        w++;
      }
      if (w == end && !complete && w - v < MAX_VALUE) {
        return v;
      }
      int e = w;
      while (e > v && text.charAt(e - 1) == '.') {
        e--;
      }
      if (validValue(text, v, e)) {
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
  private static int separatorEnd(String text, int sep) {
    char before = Chars.before(text, sep);
    char after = Chars.at(text, sep + 1);
    if (text.charAt(sep) == ':') {
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

  private static boolean labelBefore(String text, int sep) {
    int k = sep;
    while (k > 0 && sep - k < MAX_SPACES && text.charAt(k - 1) == ' ') {
      k--;
    }
    if (k > 0 && (text.charAt(k - 1) == '"' || text.charAt(k - 1) == '\'')) {
      k--;
    }
    int labelEnd = k;
    while (k > 0 && labelEnd - k < MAX_LABEL && isLabelChar(text.charAt(k - 1))) {
      k--;
    }
    if (k == labelEnd) {
      return false;
    }
    String label = text.substring(k, labelEnd).toLowerCase(Locale.ROOT);
    for (String keyword : KEYWORDS) {
      if (label.endsWith(keyword)) {
        return true;
      }
    }
    return false;
  }

  private static int valueStart(String text, int from) {
    int end = text.length();
    int v = from;
    while (v < end && v - from < MAX_SPACES && text.charAt(v) == ' ') {
      v++;
    }
    if (v < end && (text.charAt(v) == '"' || text.charAt(v) == '\'' || text.charAt(v) == '`')) {
      v++;
    }
    for (String scheme : SCHEMES) {
      if (text.regionMatches(true, v, scheme, 0, scheme.length())) {
        return v + scheme.length();
      }
    }
    return v;
  }

  private static boolean validValue(String text, int from, int to) {
    if (to - from < MIN_VALUE) {
      return false;
    }
    boolean letter = false;
    boolean digit = false;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      letter |= Chars.isLetter(c);
      digit |= Chars.isDigit(c);
    }
    return letter && digit && Chars.entropy(text, from, to) >= MIN_ENTROPY;
  }
}
