package dev.jitgw.policy.masking;

import java.util.Locale;
import java.util.Set;

/**
 * {@code email}: {@code local@domain} where the local part is 1 to 64 of {@code A-Z a-z 0-9 . _ % +
 * -} (the whole run before the {@code @}, not starting or ending with a dot) and the domain has at
 * least two labels and an alphabetic top-level label of 2 to 24 letters. A trailing dot or hyphen
 * (end of a sentence) is not part of the domain. Image names such as {@code icon@2x.png} are not
 * addresses: a top-level label that is a common file extension is refused.
 *
 * <p>Streaming cost: a local part is only known to be one when the {@code @} arrives, so a word at
 * the end of the window is held until the character after it shows it is not followed by {@code @}.
 */
final class EmailDetector extends CandidateDetector {
  static final String NAME = "email";
  private static final int MAX_LOCAL = 64;
  private static final int MAX_DOMAIN = 253;
  private static final Set<String> FILE_EXTENSIONS =
      Set.of(
          "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "avif", "pdf");

  EmailDetector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return MAX_LOCAL + 1 + MAX_DOMAIN;
  }

  static boolean isLocal(char c) {
    return Chars.isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
  }

  private static boolean isDomain(char c) {
    return Chars.isAlnum(c) || c == '.' || c == '-';
  }

  @Override
  int classes() {
    return ScanText.AT;
  }

  @Override
  boolean mayPendAtEnd(char last) {
    return isLocal(last); // a word that may turn out to be a local part
  }

  @Override
  int next(ScanText text, int from, int limit, boolean complete) {
    int[] positions = text.positions(ScanText.AT);
    int count = text.count(ScanText.AT);
    for (int p = text.first(ScanText.AT, from); p < count; p++) {
      int at = positions[p];
      int start = localStart(text, at);
      if (start >= from) {
        return start < limit ? start : -1;
      }
      if (at >= limit) {
        return -1;
      }
    }
    if (!complete) {
      // A run of local-part characters ending the window becomes an address if '@' comes next.
      int start = localStart(text, text.length);
      if (start >= from && start < limit) {
        return start;
      }
    }
    return -1;
  }

  /**
   * The start of the whole run of local-part characters ending at {@code end}, or -1 when there is
   * none or it is longer than a local part may be (then no address can end there).
   */
  private static int localStart(ScanText text, int end) {
    char[] c = text.chars;
    int s = end;
    while (s > 0 && end - s <= MAX_LOCAL && isLocal(c[s - 1])) {
      s--;
    }
    if (s == end || end - s > MAX_LOCAL) {
      return -1;
    }
    return s;
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    char[] c = text.chars;
    int end = text.length;
    int at = start;
    while (at < end && isLocal(c[at])) {
      at++;
    }
    if (at == end) {
      return complete ? NO : MORE;
    }
    if (c[at] != '@' || at - start > MAX_LOCAL || c[start] == '.' || c[at - 1] == '.') {
      return NO;
    }
    int q = at + 1;
    while (q < end && q - at <= MAX_DOMAIN && isDomain(c[q])) {
      q++;
    }
    if (q == end && !complete) {
      return MORE;
    }
    if (q - at > MAX_DOMAIN) {
      return NO;
    }
    int e = q;
    while (e > at + 1 && (c[e - 1] == '.' || c[e - 1] == '-')) {
      e--;
    }
    return validDomain(c, at + 1, e) ? e : NO;
  }

  private static boolean validDomain(char[] text, int from, int to) {
    int labels = 0;
    int labelStart = from;
    for (int i = from; i <= to; i++) {
      if (i == to || text[i] == '.') {
        int length = i - labelStart;
        if (length < 1 || length > 63 || text[labelStart] == '-' || text[i - 1] == '-') {
          return false;
        }
        labels++;
        if (i == to) {
          if (labels < 2 || length < 2 || length > 24) {
            return false;
          }
          for (int k = labelStart; k < i; k++) {
            if (!Chars.isLetter(text[k])) {
              return false;
            }
          }
          String tld = new String(text, labelStart, length).toLowerCase(Locale.ROOT);
          return !FILE_EXTENSIONS.contains(tld);
        }
        labelStart = i + 1;
      }
    }
    return false;
  }
}
