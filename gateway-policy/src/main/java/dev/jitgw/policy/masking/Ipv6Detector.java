package dev.jitgw.policy.masking;

/**
 * {@code ipv6}: an IPv6 address in the text forms of RFC 4291 section 2.2 (eight groups, {@code ::}
 * compression once, an embedded IPv4 tail), standing alone. To keep C++ and Rust paths ({@code
 * a::b}), times ({@code 12:30:45}) and MAC addresses out, the address must contain a decimal digit,
 * and a form without {@code ::} must have all eight groups. A zone index ({@code %eth0}) and a port
 * after it stay visible.
 */
final class Ipv6Detector extends CandidateDetector {
  static final String NAME = "ipv6";
  private static final int MAX = 45; // eight groups with an IPv4 tail

  Ipv6Detector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return MAX;
  }

  private static boolean isAddressChar(char c) {
    return Chars.isHex(c) || c == ':' || c == '.';
  }

  @Override
  int classes() {
    return ScanText.COLON;
  }

  @Override
  boolean mayPendAtEnd(char last) {
    return Chars.isHex(last); // a first group, before its colon
  }

  @Override
  boolean leftBoundary(ScanText text, int start) {
    char c = text.before(start);
    return !Chars.isWord(c) && !isAddressChar(c);
  }

  @Override
  int next(ScanText text, int from, int limit, boolean complete) {
    int[] positions = text.positions(ScanText.COLON);
    int count = text.count(ScanText.COLON);
    int lastRun = -1;
    for (int p = text.first(ScanText.COLON, from); p < count; p++) {
      int colon = positions[p];
      if (colon < lastRun) {
        continue; // a later colon of a run already decided
      }
      int start = runStart(text, colon);
      if (start >= from && leftBoundary(text, start)) {
        return start < limit ? start : -1;
      }
      if (colon >= limit) {
        return -1;
      }
      lastRun = runEnd(text, colon);
    }
    if (!complete) {
      // A first group ending the window becomes an address if ':' comes next.
      char[] c = text.chars;
      int end = text.length;
      int start = end;
      while (start > from && end - start < 4 && Chars.isHex(c[start - 1])) {
        start--;
      }
      if (start < end && start < limit && leftBoundary(text, start)) {
        return start;
      }
    }
    return -1;
  }

  /** The start of the run of address characters around {@code colon}, or -1 when too long. */
  private static int runStart(ScanText text, int colon) {
    char[] c = text.chars;
    int s = colon;
    while (s > 0 && colon - s <= MAX && isAddressChar(c[s - 1])) {
      s--;
    }
    return colon - s > MAX ? -1 : s;
  }

  /** The end of the run of address characters from {@code colon} (bounded). */
  private static int runEnd(ScanText text, int colon) {
    char[] c = text.chars;
    int e = colon;
    while (e < text.length && e - colon <= MAX && isAddressChar(c[e])) {
      e++;
    }
    return e;
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    char[] chars = text.chars;
    int end = text.length;
    int q = start;
    while (q < end && q - start <= MAX && isAddressChar(chars[q])) {
      q++;
    }
    if (q - start > MAX) {
      return NO;
    }
    if (q == end && !complete) {
      return MORE;
    }
    if (q < end && (Chars.isWord(chars[q]))) {
      return NO;
    }
    int e = q;
    while (e > start && chars[e - 1] == '.') {
      e--;
    }
    if (e - start >= 2 && chars[e - 1] == ':' && chars[e - 2] != ':') {
      e--;
    }
    return valid(chars, start, e) ? e : NO;
  }

  static boolean valid(char[] text, int from, int to) {
    if (to - from < 2) {
      return false;
    }
    boolean digit = false;
    boolean compressed = false;
    int groups = 0;
    int i = from;
    if (startsWithPair(text, i, to)) {
      compressed = true;
      i += 2;
    } else if (text[i] == ':') {
      return false;
    }
    while (i < to) {
      int groupStart = i;
      while (i < to && Chars.isHex(text[i])) {
        digit |= Chars.isDigit(text[i]);
        i++;
      }
      if (i < to && text[i] == '.') {
        // An IPv4 tail takes the place of the last two groups.
        if (!ipv4(text, groupStart, to)) {
          return false;
        }
        groups += 2;
        digit = true;
        i = to;
        break;
      }
      int length = i - groupStart;
      if (length < 1 || length > 4) {
        return false;
      }
      groups++;
      if (i == to) {
        break;
      }
      // text[i] == ':'
      if (startsWithPair(text, i, to)) {
        if (compressed) {
          return false;
        }
        compressed = true;
        i += 2;
      } else {
        i++;
        if (i == to) {
          return false; // a single trailing ':'
        }
      }
    }
    if (!digit || groups == 0) {
      return false;
    }
    return compressed ? groups <= 7 : groups == 8;
  }

  private static boolean ipv4(char[] text, int from, int to) {
    int parts = 0;
    int i = from;
    while (true) {
      int partStart = i;
      int value = 0;
      while (i < to && Chars.isDigit(text[i]) && i - partStart < 3) {
        value = value * 10 + (text[i] - '0');
        i++;
      }
      int length = i - partStart;
      if (length == 0 || value > 255 || (length > 1 && text[partStart] == '0')) {
        return false;
      }
      parts++;
      if (i == to) {
        return parts == 4;
      }
      if (text[i] != '.' || parts == 4) {
        return false;
      }
      i++;
    }
  }

  private static boolean startsWithPair(char[] text, int i, int to) {
    return i + 1 < to && text[i] == ':' && text[i + 1] == ':';
  }
}
