package dev.jitgw.policy.masking;

/**
 * {@code phone}: a phone number in international (E.164-like) form: {@code +}, a country code not
 * starting with 0, and 9 to 15 digits in all, optionally grouped with single spaces, hyphens or
 * dots, or with an area code in parentheses ({@code +1 (415) 555-0132}). Numbers without the {@code
 * +} are not matched: in text they cannot be told from other numbers.
 */
final class PhoneDetector extends CandidateDetector {
  static final String NAME = "phone";
  private static final int MIN_DIGITS = 9;
  private static final int MAX_DIGITS = 15;

  PhoneDetector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return 1 + MAX_DIGITS * 2 + 2;
  }

  @Override
  int classes() {
    return ScanText.PLUS;
  }

  @Override
  boolean leftBoundary(ScanText text, int start) {
    char c = text.before(start);
    return !Chars.isWord(c) && c != '+';
  }

  @Override
  int next(ScanText text, int from, int limit, boolean complete) {
    int[] positions = text.positions(ScanText.PLUS);
    int count = text.count(ScanText.PLUS);
    for (int p = text.first(ScanText.PLUS, from); p < count; p++) {
      int plus = positions[p];
      if (plus >= limit) {
        return -1;
      }
      if (leftBoundary(text, plus)) {
        return plus;
      }
    }
    return -1;
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    char[] chars = text.chars;
    int end = text.length;
    int q = start + 1;
    if (q == end) {
      return complete ? NO : MORE;
    }
    char first = chars[q];
    if (!Chars.isDigit(first) || first == '0') {
      return NO;
    }
    int digits = 0;
    while (true) {
      if (q == end) {
        if (!complete) {
          return MORE;
        }
        break;
      }
      char c = chars[q];
      if (Chars.isDigit(c)) {
        if (++digits > MAX_DIGITS) {
          return NO;
        }
        q++;
        continue;
      }
      if (c == ' ' || c == '-' || c == '.') {
        if (q + 1 == end) {
          if (!complete) {
            return MORE;
          }
          break;
        }
        char after = chars[q + 1];
        if (Chars.isDigit(after) || (c == ' ' && after == '(')) {
          q++;
          continue;
        }
        break;
      }
      if (c == '(' && chars[q - 1] == ' ') {
        // An area code in parentheses: ( 1-4 digits ) followed by a space or digit.
        int r = q + 1;
        while (r < end && r - q <= 4 && Chars.isDigit(chars[r])) {
          r++;
        }
        if (r == end) {
          if (!complete) {
            return MORE;
          }
          break;
        }
        if (r - q - 1 < 1 || r - q - 1 > 4 || chars[r] != ')') {
          break;
        }
        digits += r - q - 1;
        if (digits > MAX_DIGITS) {
          return NO;
        }
        q = r + 1;
        continue;
      }
      break;
    }
    // q is after the last digit or ')'; a separator we stopped at is not part of the number.
    int e = q;
    while (e > start && !Chars.isDigit(chars[e - 1]) && chars[e - 1] != ')') {
      e--;
    }
    if (digits < MIN_DIGITS) {
      return NO;
    }
    if (e < end && Chars.isWord(chars[e]) && e == q) {
      return NO;
    }
    return e;
  }
}
