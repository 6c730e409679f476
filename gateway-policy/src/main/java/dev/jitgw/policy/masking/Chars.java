package dev.jitgw.policy.masking;

/** Character classes the detectors share. ASCII only: the values they find are ASCII. */
final class Chars {
  private Chars() {}

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean isUpper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  static boolean isLower(char c) {
    return c >= 'a' && c <= 'z';
  }

  static boolean isLetter(char c) {
    return isUpper(c) || isLower(c);
  }

  static boolean isAlnum(char c) {
    return isDigit(c) || isLetter(c);
  }

  /** {@code \w}: letters, digits and underscore. */
  static boolean isWord(char c) {
    return isAlnum(c) || c == '_';
  }

  static boolean isHex(char c) {
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /** Base64url alphabet (RFC 4648 section 5). */
  static boolean isBase64Url(char c) {
    return isAlnum(c) || c == '-' || c == '_';
  }

  /** The char before {@code i}, or 0 at the start of the text. */
  static char before(String text, int i) {
    return i > 0 ? text.charAt(i - 1) : 0;
  }

  /** The char at {@code i}, or 0 past the end. */
  static char at(String text, int i) {
    return i < text.length() ? text.charAt(i) : 0;
  }

  /**
   * Where a proper prefix of {@code literal} ends the text at or after {@code from}: the start of
   * the longest such prefix, or -1. A literal cut by the end of the window may still complete.
   */
  static int partialAtEnd(String text, int from, String literal) {
    int end = text.length();
    for (int k = Math.min(literal.length() - 1, end - from); k > 0; k--) {
      if (text.regionMatches(end - k, literal, 0, k)) {
        return end - k;
      }
    }
    return -1;
  }

  /** Shannon entropy of {@code text[from, to)} in bits per char. */
  static double entropy(String text, int from, int to) {
    int[] counts = new int[128];
    int other = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < 128) {
        counts[c]++;
      } else {
        other++;
      }
    }
    double n = to - from;
    double bits = 0;
    for (int count : counts) {
      if (count > 0) {
        double p = count / n;
        bits -= p * Math.log(p);
      }
    }
    if (other > 0) {
      double p = other / n;
      bits -= p * Math.log(p);
    }
    return bits / Math.log(2);
  }
}
