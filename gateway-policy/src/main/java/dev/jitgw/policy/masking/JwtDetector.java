package dev.jitgw.policy.masking;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * {@code jwt}: a JSON Web Token in compact serialization (RFC 7519 section 3): {@code
 * header.payload.signature}, each base64url, where header and payload are JSON objects (so both
 * start with {@code eyJ}) and the decoded header names an {@code alg}. The signature may be empty
 * (unsecured JWTs). At most 16 KiB.
 */
final class JwtDetector extends CandidateDetector {
  static final String NAME = "jwt";
  private static final String OBJECT = "eyJ"; // base64url of '{"'
  private static final int MIN_SEGMENT = 10;
  private static final int MAX = 16 * 1024;

  JwtDetector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return MAX;
  }

  @Override
  int classes() {
    return ScanText.LETTER_J;
  }

  @Override
  boolean mayPendAtEnd(char last) {
    return last == 'e' || last == 'y'; // "e", "ey": the J has not come yet
  }

  @Override
  boolean leftBoundary(ScanText text, int start) {
    char c = text.before(start);
    return !Chars.isBase64Url(c) && c != '.';
  }

  @Override
  int next(ScanText text, int from, int limit, boolean complete) {
    return nextLiteral(text, OBJECT, ScanText.LETTER_J, 2, from, limit, complete);
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    char[] c = text.chars;
    int end = text.length;
    int header = expect(text, start, OBJECT, complete);
    if (header != 1) {
      return header;
    }
    int q = run(text, start, start);
    if (q - start == MAX) {
      return validHeader(text, start, q) ? q : NO;
    }
    if (q == end) {
      return complete ? NO : MORE;
    }
    int headerEnd = q;
    if (q - start < MIN_SEGMENT || c[q] != '.') {
      return NO;
    }
    q++;
    int payload = expect(text, q, OBJECT, complete);
    if (payload != 1) {
      return payload;
    }
    int payloadStart = q;
    q = run(text, start, q);
    if (q - start == MAX) {
      return validHeader(text, start, headerEnd) ? q : NO;
    }
    if (q == end) {
      return complete ? NO : MORE;
    }
    if (q - payloadStart < MIN_SEGMENT || c[q] != '.') {
      return NO;
    }
    q = run(text, start, q + 1);
    if (q == end && !complete && q - start < MAX) {
      return MORE;
    }
    return validHeader(text, start, headerEnd) ? q : NO;
  }

  /** The end of the base64url run from {@code from}, at most {@code MAX} from {@code start}. */
  private static int run(ScanText text, int start, int from) {
    char[] c = text.chars;
    int end = text.length;
    int q = from;
    while (q < end && q - start < MAX && Chars.isBase64Url(c[q])) {
      q++;
    }
    return q;
  }

  private static boolean validHeader(ScanText text, int from, int to) {
    try {
      byte[] json = Base64.getUrlDecoder().decode(text.substring(from, to));
      String header = new String(json, StandardCharsets.UTF_8);
      return header.startsWith("{") && header.contains("\"alg\"");
    } catch (IllegalArgumentException e) {
      return false; // not base64url after all
    }
  }
}
