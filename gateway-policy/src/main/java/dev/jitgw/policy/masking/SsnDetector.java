package dev.jitgw.policy.masking;

/**
 * {@code us_ssn}: a US Social Security number written {@code AAA-GG-SSSS} (or with spaces), with
 * the number ranges the SSA never issues refused: area 000, 666 and 900-999, group 00, serial 0000.
 * Nine digits without separators are not matched: too many other numbers look like that.
 */
final class SsnDetector extends CandidateDetector {
  static final String NAME = "us_ssn";

  SsnDetector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return 11;
  }

  @Override
  boolean leftBoundary(String text, int start) {
    char c = Chars.before(text, start);
    return !Chars.isWord(c) && c != '-' && c != '.';
  }

  @Override
  int next(String text, int from, int limit, boolean complete) {
    for (int i = from; i < limit; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9' && leftBoundary(text, i)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  int matchAt(String text, int start, boolean complete) {
    int end = text.length();
    int[] value = new int[3];
    int[] widths = {3, 2, 4};
    char separator = 0;
    int q = start;
    for (int part = 0; part < 3; part++) {
      for (int k = 0; k < widths[part]; k++) {
        if (q == end) {
          return complete ? NO : MORE;
        }
        char c = text.charAt(q++);
        if (!Chars.isDigit(c)) {
          return NO;
        }
        value[part] = value[part] * 10 + (c - '0');
      }
      if (part < 2) {
        if (q == end) {
          return complete ? NO : MORE;
        }
        char c = text.charAt(q++);
        if (c != '-' && c != ' ') {
          return NO;
        }
        if (separator != 0 && c != separator) {
          return NO;
        }
        separator = c;
      }
    }
    if (q < end) {
      char c = text.charAt(q);
      if (Chars.isWord(c)) {
        return NO;
      }
      if (c == '-' || c == '.') {
        if (q + 1 == end) {
          if (!complete) {
            return MORE;
          }
        } else if (Chars.isDigit(text.charAt(q + 1))) {
          return NO;
        }
      }
    } else if (!complete) {
      return MORE;
    }
    int area = value[0];
    if (area == 0 || area == 666 || area >= 900 || value[1] == 0 || value[2] == 0) {
      return NO;
    }
    return q;
  }
}
