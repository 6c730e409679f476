package dev.jitgw.policy.masking;

/**
 * {@code aws_access_key}: an AWS access key id, {@code AKIA} (long-term) or {@code ASIA}
 * (temporary) and a few rarer prefixes, followed by 16 base32 characters ({@code A-Z}, {@code
 * 2-7}), standing alone (no letter or digit on either side).
 */
final class AwsAccessKeyDetector extends CandidateDetector {
  static final String NAME = "aws_access_key";
  private static final String[] PREFIXES = {"AKIA", "ASIA", "ABIA", "ACCA"};
  private static final int LENGTH = 20;

  AwsAccessKeyDetector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return LENGTH;
  }

  @Override
  int classes() {
    return ScanText.CAPS;
  }

  @Override
  boolean leftBoundary(ScanText text, int start) {
    return !Chars.isAlnum(text.before(start));
  }

  @Override
  int next(ScanText text, int from, int limit, boolean complete) {
    int[] positions = text.positions(ScanText.CAPS);
    int count = text.count(ScanText.CAPS);
    for (int p = text.first(ScanText.CAPS, from); p < count; p++) {
      int i = positions[p];
      if (i >= limit) {
        return -1;
      }
      if (text.chars[i] == 'A' && leftBoundary(text, i) && prefixPossible(text, i)) {
        return i;
      }
    }
    return -1;
  }

  /** Whether the chars available at {@code start} begin (or are a prefix of) a known prefix. */
  private static boolean prefixPossible(ScanText text, int start) {
    int available = Math.min(4, text.length - start);
    for (String prefix : PREFIXES) {
      if (text.regionMatches(start, prefix, available)) {
        return true;
      }
    }
    return false;
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    char[] chars = text.chars;
    int end = text.length;
    if (end - start < 4) {
      return complete ? NO : MORE; // prefixPossible held for what is there
    }
    if (!prefixPossible(text, start)) {
      return NO;
    }
    for (int q = start + 4; q < start + LENGTH; q++) {
      if (q == end) {
        return complete ? NO : MORE;
      }
      char c = chars[q];
      if (!(Chars.isUpper(c) || (c >= '2' && c <= '7'))) {
        return NO;
      }
    }
    int q = start + LENGTH;
    if (q == end) {
      return complete ? q : MORE;
    }
    return Chars.isAlnum(chars[q]) ? NO : q;
  }
}
