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
  boolean leftBoundary(String text, int start) {
    char c = Chars.before(text, start);
    return !Chars.isWord(c) && !isAddressChar(c);
  }

  @Override
  int next(String text, int from, int limit, boolean complete) {
    int i = from;
    while (true) {
      int colon = text.indexOf(':', i);
      if (colon < 0) {
        break;
      }
      int start = runStart(text, colon);
      if (start >= from && leftBoundary(text, start)) {
        return start < limit ? start : -1;
      }
      if (colon >= limit) {
        return -1;
      }
      i = colon + 1;
    }
    if (!complete) {
      // A first group ending the window becomes an address if ':' comes next.
      int end = text.length();
      int start = end;
      while (start > from && end - start < 4 && Chars.isHex(text.charAt(start - 1))) {
        start--;
      }
      if (start < end && start < limit && leftBoundary(text, start)) {
        return start;
      }
    }
    return -1;
  }

  /** The start of the run of address characters around {@code colon}, or -1 when too long. */
  private static int runStart(String text, int colon) {
    int s = colon;
    while (s > 0 && colon - s <= MAX && isAddressChar(text.charAt(s - 1))) {
      s--;
    }
    return colon - s > MAX ? -1 : s;
  }

  @Override
  int matchAt(String text, int start, boolean complete) {
    int end = text.length();
    int q = start;
    while (q < end && q - start <= MAX && isAddressChar(text.charAt(q))) {
      q++;
    }
    if (q - start > MAX) {
      return NO;
    }
    if (q == end && !complete) {
      return MORE;
    }
    if (q < end && (Chars.isWord(text.charAt(q)))) {
      return NO;
    }
    int e = q;
    while (e > start && text.charAt(e - 1) == '.') {
      e--;
    }
    if (e - start >= 2 && text.charAt(e - 1) == ':' && text.charAt(e - 2) != ':') {
      e--;
    }
    return valid(text, start, e) ? e : NO;
  }

  static boolean valid(String text, int from, int to) {
    if (to - from < 2) {
      return false;
    }
    boolean digit = false;
    boolean compressed = false;
    int groups = 0;
    int i = from;
    if (text.startsWith("::", i)) {
      compressed = true;
      i += 2;
    } else if (text.charAt(i) == ':') {
      return false;
    }
    while (i < to) {
      int groupStart = i;
      while (i < to && Chars.isHex(text.charAt(i))) {
        digit |= Chars.isDigit(text.charAt(i));
        i++;
      }
      if (i < to && text.charAt(i) == '.') {
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
      if (text.startsWith("::", i)) {
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

  private static boolean ipv4(String text, int from, int to) {
    int parts = 0;
    int i = from;
    while (true) {
      int partStart = i;
      int value = 0;
      while (i < to && Chars.isDigit(text.charAt(i)) && i - partStart < 3) {
        value = value * 10 + (text.charAt(i) - '0');
        i++;
      }
      int length = i - partStart;
      if (length == 0 || value > 255 || (length > 1 && text.charAt(partStart) == '0')) {
        return false;
      }
      parts++;
      if (i == to) {
        return parts == 4;
      }
      if (text.charAt(i) != '.' || parts == 4) {
        return false;
      }
      i++;
    }
  }
}
