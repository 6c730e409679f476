package dev.jitgw.policy.masking;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Writes what a value is replaced with in the {@link ReplacementMode#PARTIAL} and {@link
 * ReplacementMode#PSEUDONYM} modes. The default, {@code [MASKED:<detector>]}, is written by {@link
 * Masker} itself, without a replacer, so the default path costs nothing more.
 *
 * <p>A replacer is only called once a value is whole: streaming holds a value back until it ends,
 * so no replacement is ever made from part of one.
 *
 * <p>{@link #PARTIAL} is immutable; a pseudonym replacer is per response (not thread-safe), since
 * it carries the caller's key and reuses one {@link Mac}.
 */
abstract class Replacer {
  /** Detectors whose last four characters are not the secret part of the value. */
  static final Set<String> TAILED = Set.of("credit_card", "iban", "phone");

  /** Characters a partial replacement keeps, at most. */
  static final int TAIL = 4;

  /** Fewer letters and digits than this, and a partial replacement keeps nothing. */
  static final int MIN_PARTIAL = 12;

  /** Detectors whose values are compared by their letters and digits, separators aside. */
  private static final Set<String> NUMBERS = Set.of("credit_card", "iban", "phone", "us_ssn");

  /** Hex digits of a pseudonym: 32 bits of the HMAC. */
  static final int PSEUDONYM_BYTES = 4;

  static final Replacer PARTIAL = new Partial();

  /**
   * Appends the replacement of {@code text[start, end)}.
   *
   * @param detector the detector the value is named after
   * @param masked {@code [MASKED:<detector>]}
   * @param whole whether the span is exactly one match (no overlapping match of another detector
   *     was merged into it)
   */
  abstract void value(
      CharSink out, String detector, String masked, char[] text, int start, int end, boolean whole);

  /**
   * The replacement of a {@code fields} value.
   *
   * @param count the count key, {@code field:<name>}
   */
  abstract String field(String count, JsonNode value);

  /** A replacer for one caller's pseudonyms. */
  static Replacer pseudonym(byte[] callerKey) {
    return new Pseudonym(callerKey);
  }

  private static boolean significant(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }

  private static final class Partial extends Replacer {
    @Override
    void value(
        CharSink out,
        String detector,
        String masked,
        char[] text,
        int start,
        int end,
        boolean whole) {
      if (whole && TAILED.contains(detector)) {
        int count = 0;
        for (int i = start; i < end; i++) {
          if (significant(text[i])) {
            count++;
          }
        }
        if (count >= MIN_PARTIAL) {
          char[] tail = new char[TAIL];
          int n = TAIL;
          for (int i = end - 1; i >= start && n > 0; i--) {
            if (significant(text[i])) {
              tail[--n] = text[i];
            }
          }
          out.append("[MASKED:");
          out.append(detector);
          out.append(":\u2026");
          out.append(tail, 0, TAIL);
          out.append("]");
          return;
        }
      }
      out.append(masked);
    }

    @Override
    String field(String count, JsonNode value) {
      // A field's value is of no known kind: its tail may well be the secret part (a password).
      return Masker.replacement(count);
    }
  }

  private static final class Pseudonym extends Replacer {
    private final SecretKeySpec key;
    private Mac mac;

    Pseudonym(byte[] callerKey) {
      requireNonNull(callerKey, "callerKey");
      if (callerKey.length < 16) {
        throw new IllegalArgumentException(
            "callerKey: " + callerKey.length + " bytes (expected: at least 16)");
      }
      this.key = new SecretKeySpec(callerKey, "HmacSHA256");
    }

    @Override
    void value(
        CharSink out,
        String detector,
        String masked,
        char[] text,
        int start,
        int end,
        boolean whole) {
      String value;
      if (whole && NUMBERS.contains(detector)) {
        // The same card written with spaces or hyphens is the same card.
        StringBuilder digits = new StringBuilder(end - start);
        for (int i = start; i < end; i++) {
          if (significant(text[i])) {
            digits.append(text[i]);
          }
        }
        value = digits.toString();
      } else {
        value = new String(text, start, end - start);
      }
      out.append("[");
      out.append(detector);
      out.append(":");
      out.append(hex(detector, value));
      out.append("]");
    }

    @Override
    String field(String count, JsonNode value) {
      String text = value.isTextual() ? value.textValue() : value.toString();
      return "[" + count + ":" + hex(count, text) + "]";
    }

    /** HMAC-SHA256(caller key, name NUL value), its first bytes in hex. */
    private String hex(String name, String value) {
      Mac mac = mac();
      mac.update(name.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      byte[] digest = mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, PSEUDONYM_BYTES);
    }

    private Mac mac() {
      if (mac == null) {
        try {
          mac = Mac.getInstance("HmacSHA256");
          mac.init(key);
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("HmacSHA256 is not available", e);
        }
      }
      return mac;
    }
  }
}
