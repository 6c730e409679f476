package dev.jitgw.policy.masking;

/**
 * {@code anthropic_api_key}: {@code sk-ant-} followed by at least 20 base64url characters (API keys
 * {@code sk-ant-api03-...}, admin keys {@code sk-ant-admin01-...}, OAuth tokens {@code
 * sk-ant-oat01-...}). The whole run of key characters is masked, up to 256 characters.
 */
final class AnthropicKeyDetector extends CandidateDetector {
  static final String NAME = "anthropic_api_key";
  private static final String PREFIX = "sk-ant-";
  private static final int MIN_BODY = 20;
  private static final int MAX = 256;

  AnthropicKeyDetector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return MAX;
  }

  @Override
  int classes() {
    return ScanText.DASH;
  }

  @Override
  boolean mayPendAtEnd(char last) {
    return last == 's' || last == 'k'; // "s", "sk": the first dash has not come yet
  }

  @Override
  boolean leftBoundary(ScanText text, int start) {
    return !Chars.isBase64Url(text.before(start));
  }

  @Override
  int next(ScanText text, int from, int limit, boolean complete) {
    return nextLiteral(text, PREFIX, ScanText.DASH, 2, from, limit, complete);
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    int prefix = expect(text, start, PREFIX, complete);
    if (prefix != 1) {
      return prefix;
    }
    char[] c = text.chars;
    int end = text.length;
    int q = start + PREFIX.length();
    while (q < end && q - start < MAX && Chars.isBase64Url(c[q])) {
      q++;
    }
    if (q - start == MAX) {
      return q; // longer than any key: mask the first MAX characters
    }
    if (q == end && !complete) {
      return MORE;
    }
    return q - start - PREFIX.length() >= MIN_BODY ? q : NO;
  }
}
