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

  /** Shannon entropy of {@code text[from, to)} in bits per char. */
  static double entropy(char[] text, int from, int to) {
    int[] counts = new int[128];
    int other = 0;
    for (int i = from; i < to; i++) {
      char c = text[i];
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
