package dev.jitgw.policy.masking;

/** Helpers for the detectors of numbers (cards, SSNs, addresses). */
final class Numbers {
  private Numbers() {}

  /**
   * Whether a number may start at {@code start}: not inside a word, and not after a decimal point
   * or thousands separator that follows a digit ({@code 3.14159...}, {@code 1,234,567}).
   */
  static boolean leftBoundary(String text, int start) {
    char c = Chars.before(text, start);
    if (Chars.isWord(c)) {
      return false;
    }
    if (c == '.' || c == ',') {
      return !Chars.isDigit(Chars.before(text, start - 1));
    }
    return true;
  }

  /** The first digit at or after {@code from}, before {@code limit}, that may start a number. */
  static int nextNumber(String text, int from, int limit) {
    for (int i = from; i < limit; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9' && leftBoundary(text, i)) {
        return i;
      }
    }
    return -1;
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
