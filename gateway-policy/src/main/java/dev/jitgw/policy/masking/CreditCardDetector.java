package dev.jitgw.policy.masking;

/**
 * {@code credit_card}: a payment card number of 13 to 19 digits, contiguous or grouped with single
 * spaces or hyphens, that passes the Luhn check and starts with an issuer prefix of a card network
 * of that length (Visa, Mastercard, American Express, Discover, JCB, Diners, UnionPay, Maestro). A
 * number made of one repeated digit is refused. When a longer grouped run holds a valid number, the
 * longest valid prefix that ends at a group boundary is masked.
 */
final class CreditCardDetector extends CandidateDetector {
  static final String NAME = "credit_card";
  private static final int MIN_DIGITS = 13;
  private static final int MAX_DIGITS = 19;

  CreditCardDetector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return MAX_DIGITS * 2 - 1;
  }

  @Override
  int classes() {
    return ScanText.DIGIT_RUN;
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
      if (Numbers.leftBoundary(text, i) && enoughDigits(text, i)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Whether at least {@link #MIN_DIGITS} digits (or the end of the window) follow, with single
   * separators: most numbers in text are short, and this rules them out without more work.
   */
  private static boolean enoughDigits(ScanText text, int start) {
    char[] c = text.chars;
    int end = text.length;
    int n = 0;
    for (int q = start; q < end; q++) {
      char ch = c[q];
      if (ch >= '0' && ch <= '9') {
        if (++n >= MIN_DIGITS) {
          return true;
        }
      } else if (!((ch == ' ' || ch == '-') && q + 1 < end && Chars.isDigit(c[q + 1]))) {
        return q + 1 == end && (ch == ' ' || ch == '-'); // a separator may end the window
      }
    }
    return true; // the window ends inside the number
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    char[] chars = text.chars;
    int end = text.length;
    int[] digits = new int[MAX_DIGITS + 1];
    // Group ends: after how many digits, and where.
    int[] groupDigits = new int[MAX_DIGITS + 1];
    int[] groupEnds = new int[MAX_DIGITS + 1];
    int groups = 0;
    int n = 0;
    int q = start;
    while (true) {
      while (q < end && n <= MAX_DIGITS && Chars.isDigit(chars[q])) {
        digits[n++] = chars[q] - '0';
        q++;
      }
      if (n > MAX_DIGITS) {
        break; // too long to be one number: only group ends seen so far count
      }
      if (q == end) {
        if (!complete) {
          return MORE;
        }
        groupDigits[groups] = n;
        groupEnds[groups++] = q;
        break;
      }
      groupDigits[groups] = n;
      groupEnds[groups++] = q;
      char c = chars[q];
      if (c == ' ' || c == '-') {
        if (q + 1 == end) {
          if (!complete) {
            return MORE;
          }
          break;
        }
        if (Chars.isDigit(chars[q + 1])) {
          q++;
          continue;
        }
      }
      break;
    }
    for (int g = groups - 1; g >= 0; g--) {
      int count = groupDigits[g];
      if (count < MIN_DIGITS || count > MAX_DIGITS) {
        continue;
      }
      int e = groupEnds[g];
      int boundary = rightBoundary(text, e, complete);
      if (boundary == MORE) {
        return MORE;
      }
      if (boundary == 1 && valid(digits, count)) {
        return e;
      }
    }
    return NO;
  }

  /** 1 when a number may end at {@code e}, {@link #NO} or {@link #MORE}. */
  static int rightBoundary(ScanText text, int e, boolean complete) {
    int end = text.length;
    if (e == end) {
      return complete ? 1 : MORE;
    }
    char c = text.chars[e];
    if (Chars.isWord(c)) {
      return NO;
    }
    if (c == '.' || c == ',') {
      if (e + 1 == end) {
        return complete ? 1 : MORE;
      }
      return Chars.isDigit(text.chars[e + 1]) ? NO : 1;
    }
    return 1;
  }

  static boolean valid(int[] digits, int n) {
    boolean same = true;
    for (int i = 1; i < n; i++) {
      if (digits[i] != digits[0]) {
        same = false;
        break;
      }
    }
    return !same && issuer(digits, n) && Numbers.luhn(digits, n);
  }

  /** Issuer identification numbers (ISO/IEC 7812) of the major networks, with their lengths. */
  private static boolean issuer(int[] d, int n) {
    int two = d[0] * 10 + d[1];
    int three = two * 10 + d[2];
    int four = three * 10 + d[3];
    switch (d[0]) {
      case 2:
        return four >= 2221 && four <= 2720 && n == 16; // Mastercard 2-series
      case 3:
        if (two == 34 || two == 37) {
          return n == 15; // American Express
        }
        if ((three >= 300 && three <= 305) || two == 36 || two == 38 || two == 39) {
          return n >= 14; // Diners Club
        }
        return four >= 3528 && four <= 3589 && n >= 16; // JCB
      case 4:
        return n == 13 || n == 16 || n == 19; // Visa
      case 5:
        if (two >= 51 && two <= 55) {
          return n == 16; // Mastercard
        }
        return two == 50 || two >= 56; // Maestro
      case 6:
        return n >= 16 || two >= 63; // Discover, UnionPay; Maestro (6x) from 13 digits
      default:
        return false;
    }
  }
}
