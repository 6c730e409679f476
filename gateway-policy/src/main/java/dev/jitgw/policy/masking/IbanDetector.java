package dev.jitgw.policy.masking;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code iban}: an International Bank Account Number (ISO 13616): a country code with the length
 * the IBAN registry gives it, two check digits, the account number, written in capitals, contiguous
 * or in groups separated by single spaces, passing the mod-97 check (ISO 7064).
 */
final class IbanDetector extends CandidateDetector {
  static final String NAME = "iban";

  /** IBAN lengths by country (SWIFT IBAN registry). */
  private static final Map<String, Integer> LENGTHS = new HashMap<>();

  static {
    String table =
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22"
            + " DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28"
            + " HN28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20"
            + " LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28"
            + " PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28"
            + " TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30";
    for (String entry : table.split(" ")) {
      LENGTHS.put(entry.substring(0, 2), Integer.parseInt(entry.substring(2)));
    }
  }

  private static final int MAX_CHARS = 34;

  IbanDetector() {
    super(NAME);
  }

  @Override
  int maxLength() {
    return MAX_CHARS + MAX_CHARS / 4; // with a space every four characters
  }

  @Override
  int classes() {
    return ScanText.CAPS;
  }

  @Override
  boolean leftBoundary(ScanText text, int start) {
    return !Chars.isWord(text.before(start));
  }

  @Override
  int next(ScanText text, int from, int limit, boolean complete) {
    char[] c = text.chars;
    int end = text.length;
    int[] positions = text.positions(ScanText.CAPS);
    int count = text.count(ScanText.CAPS);
    for (int p = text.first(ScanText.CAPS, from); p < count; p++) {
      int i = positions[p];
      if (i >= limit) {
        return -1;
      }
      // Cheap rejections on what is already there: CC then two digits.
      if (i + 1 < end && !Chars.isUpper(c[i + 1])) {
        continue;
      }
      if (i + 2 < end && !Chars.isDigit(c[i + 2])) {
        continue;
      }
      if (i + 3 < end && !Chars.isDigit(c[i + 3])) {
        continue;
      }
      if (leftBoundary(text, i)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  int matchAt(ScanText text, int start, boolean complete) {
    char[] chars = text.chars;
    int end = text.length;
    if (start + 2 > end) {
      return complete ? NO : MORE;
    }
    Integer length = LENGTHS.get(text.substring(start, start + 2));
    if (length == null) {
      return NO;
    }
    char[] iban = new char[length];
    int count = 0;
    int q = start;
    while (count < length) {
      if (q == end) {
        return complete ? NO : MORE;
      }
      char c = chars[q];
      if (Chars.isUpper(c) || Chars.isDigit(c)) {
        if ((count == 2 || count == 3) && !Chars.isDigit(c)) {
          return NO;
        }
        iban[count++] = c;
        q++;
        continue;
      }
      if (c == ' ' && count >= 4 && chars[q - 1] != ' ') {
        if (q + 1 == end) {
          if (!complete) {
            return MORE;
          }
          return NO;
        }
        char after = chars[q + 1];
        if (Chars.isUpper(after) || Chars.isDigit(after)) {
          q++;
          continue;
        }
      }
      return NO;
    }
    if (q == end) {
      if (!complete) {
        return MORE;
      }
    } else if (Chars.isWord(chars[q])) {
      return NO;
    }
    int check = (iban[2] - '0') * 10 + (iban[3] - '0');
    return check >= 2 && check <= 98 && mod97(iban) == 1 ? q : NO;
  }

  /** ISO 7064 MOD 97-10 over the IBAN with its first four characters moved to the end. */
  static int mod97(char[] iban) {
    int remainder = 0;
    for (int k = 0; k < iban.length; k++) {
      char c = iban[(k + 4) % iban.length];
      int value = Chars.isDigit(c) ? c - '0' : c - 'A' + 10;
      remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
    }
    return remainder;
  }
}
