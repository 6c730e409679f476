package dev.jitgw.policy.masking;

/** Helpers for the detectors of numbers (cards, SSNs, addresses). */
final class Numbers {
  private Numbers() {}

  /**
   * Whether a number may start at {@code start}: not inside a word, and not after a decimal point
   * or thousands separator that follows a digit ({@code 3.14159...}, {@code 1,234,567}).
   */
  static boolean leftBoundary(ScanText text, int start) {
    char c = text.before(start);
    if (Chars.isWord(c)) {
      return false;
    }
    if (c == '.' || c == ',') {
      return !Chars.isDigit(text.before(start - 1));
    }
    return true;
  }

  /** Luhn checksum (ISO/IEC 7812-1 annex B) over {@code digits[0, n)}. */
  static boolean luhn(int[] digits, int n) {
    int sum = 0;
    boolean twice = false;
    for (int i = n - 1; i >= 0; i--) {
      int d = digits[i];
      if (twice) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      twice = !twice;
    }
    return sum % 10 == 0;
  }
}
