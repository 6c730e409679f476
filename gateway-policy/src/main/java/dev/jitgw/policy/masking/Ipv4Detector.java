package dev.jitgw.policy.masking;

/**
 * {@code ipv4}: a dotted-quad IPv4 address, four decimal octets 0-255 without leading zeros.
 * Version strings are not addresses: three parts ({@code 1.2.3}) or five ({@code 1.2.3.4.5}) do not
 * match, nor does a quad glued to letters ({@code v1.2.3.4}, {@code 1.2.3.4-beta}, {@code
 * release-1.2.3.4}). A port or prefix length after it ({@code :8080}, {@code /24}) stays visible.
 */
final class Ipv4Detector extends CandidateDetector {
  static final String NAME = "ipv4";

  Ipv4Detector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return 15;
  }

  @Override
  int classes() {
    return ScanText.DIGIT_RUN;
  }

  @Override
  boolean leftBoundary(ScanText text, int start) {
    char c = text.before(start);
    if (Chars.isWord(c) || c == '.') {
      return false;
    }
    return c != '-' || !Chars.isLetter(text.before(start - 1));
  }

  @Override
  int next(ScanText text, int from, int limit, boolean complete) {
    int[] positions = text.positions(ScanText.DIGIT_RUN);
    int count = text.count(ScanText.DIGIT_RUN);
    for (int p = text.first(ScanText.DIGIT_RUN, from); p < count; p++) {
      int i = positions[p];
      if (i >= limit) {
        return -1;
      }
      if (dotAfterDigits(text, i) && leftBoundary(text, i)) {
        return i;
      }
    }
    return -1;
  }

  /** Whether 1 to 3 digits and a dot start here, as far as the window shows. */
  private static boolean dotAfterDigits(ScanText text, int start) {
    char[] c = text.chars;
    int end = text.length;
    for (int q = start; q < end && q <= start + 3; q++) {
      if (!Chars.isDigit(c[q])) {
        return c[q] == '.' && q > start;
      }
    }
    return end <= start + 3;
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    char[] chars = text.chars;
    int end = text.length;
    int q = start;
    for (int part = 0; part < 4; part++) {
      int partStart = q;
      int value = 0;
      while (q < end && q - partStart < 3 && Chars.isDigit(chars[q])) {
        value = value * 10 + (chars[q] - '0');
        q++;
      }
      if (q == end) {
        if (!complete) {
          return MORE;
        }
      } else if (Chars.isDigit(chars[q])) {
        return NO; // four digits
      }
      int length = q - partStart;
      if (length == 0 || value > 255 || (length > 1 && chars[partStart] == '0')) {
        return NO;
      }
      if (part < 3) {
        if (q == end) {
          return NO; // complete: the text ends before four parts
        }
        if (chars[q] != '.') {
          return NO;
        }
        q++;
      }
    }
    if (q == end) {
      return complete ? q : MORE;
    }
    char c = chars[q];
    if (Chars.isWord(c)) {
      return NO;
    }
    if (c == '.' || c == '-') {
      if (q + 1 == end) {
        return complete ? q : MORE;
      }
      char after = chars[q + 1];
      if (c == '.' ? Chars.isAlnum(after) : Chars.isLetter(after)) {
        return NO;
      }
    }
    return q;
  }
}
