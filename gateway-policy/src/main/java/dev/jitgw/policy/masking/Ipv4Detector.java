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
  boolean leftBoundary(String text, int start) {
    char c = Chars.before(text, start);
    if (Chars.isWord(c) || c == '.') {
      return false;
    }
    return c != '-' || !Chars.isLetter(Chars.before(text, start - 1));
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
    int q = start;
    for (int part = 0; part < 4; part++) {
      int partStart = q;
      int value = 0;
      while (q < end && q - partStart < 3 && Chars.isDigit(text.charAt(q))) {
        value = value * 10 + (text.charAt(q) - '0');
        q++;
      }
      if (q == end) {
        if (!complete) {
          return MORE;
        }
      } else if (Chars.isDigit(text.charAt(q))) {
        return NO; // four digits
      }
      int length = q - partStart;
      if (length == 0 || value > 255 || (length > 1 && text.charAt(partStart) == '0')) {
        return NO;
      }
      if (part < 3) {
        if (q == end) {
          return NO; // complete: the text ends before four parts
        }
        if (text.charAt(q) != '.') {
          return NO;
        }
        q++;
      }
    }
    if (q == end) {
      return complete ? q : MORE;
    }
    char c = text.charAt(q);
    if (Chars.isWord(c)) {
      return NO;
    }
    if (c == '.' || c == '-') {
      if (q + 1 == end) {
        return complete ? q : MORE;
      }
      char after = text.charAt(q + 1);
      if (c == '.' ? Chars.isAlnum(after) : Chars.isLetter(after)) {
        return NO;
      }
    }
    return q;
  }
}
