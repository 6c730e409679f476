package dev.jitgw.policy.masking;

/**
 * {@code private_key}: a PEM private key block ({@code -----BEGIN RSA PRIVATE KEY-----}, {@code
 * EC}, {@code OPENSSH}, {@code ENCRYPTED}, PKCS#8, {@code PGP PRIVATE KEY BLOCK}), from the BEGIN
 * line through the END line. A block cut short (no END line) is masked through its last base64
 * line: the key material is secret even when incomplete. Escaped line breaks ({@code \n} written as
 * two characters, as in a JSON or .env string) count as part of the block. At most 16 KiB is
 * masked, enough for a 4096-bit RSA key or an armored PGP key.
 */
final class PrivateKeyDetector extends CandidateDetector {
  static final String NAME = "private_key";
  private static final String BEGIN = "-----BEGIN ";
  private static final String END = "-----END ";
  private static final String DASHES = "-----";
  private static final int MAX_LABEL = 48;
  private static final int MAX = 16 * 1024;

  PrivateKeyDetector() {
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
  int next(ScanText text, int from, int limit, boolean complete) {
    return nextLiteral(text, BEGIN, ScanText.DASH, 0, from, limit, complete);
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    int begin = expect(text, start, BEGIN, complete);
    if (begin != 1) {
      return begin;
    }
    char[] c = text.chars;
    int end = text.length;
    int labelStart = start + BEGIN.length();
    int q = label(text, labelStart);
    if (q == end) {
      return complete ? NO : MORE;
    }
    if (q - labelStart > MAX_LABEL || !text.substring(labelStart, q).contains("PRIVATE KEY")) {
      return NO;
    }
    int dashes = expect(text, q, DASHES, complete);
    if (dashes != 1) {
      return dashes;
    }
    q += DASHES.length();
    // Line by line: encapsulated headers (RFC 1421 section 4.6), a blank line after them, then
    // base64 lines, then the END line. A line of anything else ends a block cut short.
    int good = q; // the end of the last line that belongs to the block
    boolean afterHeader = false;
    boolean sawBase64 = false;
    boolean firstBreak = true;
    while (true) {
      if (q - start >= MAX) {
        return start + MAX;
      }
      int lineBreak = lineBreak(text, q);
      if (lineBreak == MORE) {
        return complete ? good : MORE;
      }
      if (lineBreak == 0) {
        if (firstBreak && q < end && c[q] == ' ') {
          lineBreak = 1; // a key flattened onto one line, spaces for line breaks
        } else {
          return good;
        }
      }
      q += lineBreak;
      firstBreak = false;
      if (q == end) {
        return complete ? good : MORE;
      }
      if (text.startsWith(END, q)) {
        int r = label(text, q + END.length());
        if (r == end) {
          return complete ? good : MORE;
        }
        int closing = expect(text, r, DASHES, complete);
        if (closing == MORE) {
          return MORE;
        }
        if (closing == 1 && r - q - END.length() <= MAX_LABEL) {
          return Math.min(r + DASHES.length(), start + MAX);
        }
        return good;
      }
      int lineEnd = q;
      while (lineEnd < end && lineEnd - start < MAX && !isBreakChar(c[lineEnd])) {
        lineEnd++;
      }
      if (lineEnd == end && !complete) {
        return MORE;
      }
      if (lineEnd == q) {
        if (!afterHeader) {
          return good; // a blank line ends the block, except after the headers
        }
        afterHeader = false;
        continue;
      }
      if (base64Line(c, q, lineEnd)) {
        sawBase64 = true;
        afterHeader = false;
      } else if (!sawBase64 && headerLine(c, q, lineEnd)) {
        afterHeader = true;
      } else {
        return good;
      }
      good = lineEnd;
      q = lineEnd;
    }
  }

  private static boolean isBreakChar(char c) {
    return c == '\n' || c == '\r' || c == '\\';
  }

  /**
   * The length of the line break at {@code at}: LF, CRLF, CR, or the escaped forms {@code \n},
   * {@code \r\n} (a key inside a JSON or shell string); 0 when there is none; {@link #MORE} when
   * the window ends inside one.
   */
  private static int lineBreak(ScanText text, int at) {
    char[] chars = text.chars;
    int end = text.length;
    if (at == end) {
      return MORE;
    }
    char c = chars[at];
    if (c == '\n') {
      return 1;
    }
    if (c == '\r') {
      if (at + 1 == end) {
        return MORE;
      }
      return chars[at + 1] == '\n' ? 2 : 1;
    }
    if (c == '\\') {
      if (at + 1 == end) {
        return MORE;
      }
      char e = chars[at + 1];
      if (e == 'n') {
        return 2;
      }
      if (e == 'r') {
        int more = expect(text, at + 2, "\\n", false);
        if (more == MORE) {
          return MORE;
        }
        return more == 1 ? 4 : 2;
      }
    }
    return 0;
  }

  /** Base64, possibly in chunks separated by single spaces. */
  private static boolean base64Line(char[] text, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = text[i];
      boolean base64 = Chars.isAlnum(c) || c == '+' || c == '/' || c == '=';
      if (!base64 && !(c == ' ' && i > from && i + 1 < to && text[i - 1] != ' ')) {
        return false;
      }
    }
    return true;
  }

  /** {@code Proc-Type: 4,ENCRYPTED}, {@code DEK-Info: ...}, {@code Comment: ...}. */
  private static boolean headerLine(char[] text, int from, int to) {
    int i = from;
    while (i < to && (Chars.isAlnum(text[i]) || text[i] == '-')) {
      i++;
    }
    if (i == from || i + 1 >= to || text[i] != ':' || text[i + 1] != ' ') {
      return false;
    }
    for (int k = i + 2; k < to; k++) {
      char c = text[k];
      if (c < ' ' || c > '~') {
        return false;
      }
    }
    return true;
  }

  /** The end of a label run ({@code A-Z}, digits, spaces) starting at {@code from}. */
  private static int label(ScanText text, int from) {
    char[] c = text.chars;
    int end = text.length;
    int q = from;
    while (q < end && q - from <= MAX_LABEL) {
      char ch = c[q];
      if (!(Chars.isUpper(ch) || Chars.isDigit(ch) || ch == ' ')) {
        break;
      }
      q++;
    }
    return q;
  }
}
