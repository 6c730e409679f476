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
  int classes() {
    return ScanText.DIGIT_RUN;
  }

  @Override
  boolean leftBoundary(ScanText text, int start) {
    char c = text.before(start);
    return !Chars.isWord(c) && c != '-' && c != '.';
  }

  @Override
  int next(ScanText text, int from, int limit, boolean complete) {
    char[] c = text.chars;
    int end = text.length;
    int[] positions = text.positions(ScanText.DIGIT_RUN);
    int count = text.count(ScanText.DIGIT_RUN);
    for (int p = text.first(ScanText.DIGIT_RUN, from); p < count; p++) {
      int i = positions[p];
      if (i >= limit) {
        return -1;
      }
      // Three digits and a separator, as far as the window shows them.
      if ((i + 3 < end && !(Chars.isDigit(c[i + 2]) && (c[i + 3] == '-' || c[i + 3] == ' ')))
          || (i + 3 == end && !Chars.isDigit(c[i + 2]))) {
        continue;
      }
      if (leftBoundary(text, i)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    char[] chars = text.chars;
    int end = text.length;
    int[] value = new int[3];
    int[] widths = {3, 2, 4};
    char separator = 0;
    int q = start;
    for (int part = 0; part < 3; part++) {
      for (int k = 0; k < widths[part]; k++) {
        if (q == end) {
          return complete ? NO : MORE;
        }
        char c = chars[q++];
        if (!Chars.isDigit(c)) {
          return NO;
        }
        value[part] = value[part] * 10 + (c - '0');
      }
      if (part < 2) {
        if (q == end) {
          return complete ? NO : MORE;
        }
        char c = chars[q++];
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
      char c = chars[q];
      if (Chars.isWord(c)) {
        return NO;
      }
      if (c == '-' || c == '.') {
        if (q + 1 == end) {
          if (!complete) {
            return MORE;
          }
        } else if (Chars.isDigit(chars[q + 1])) {
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
