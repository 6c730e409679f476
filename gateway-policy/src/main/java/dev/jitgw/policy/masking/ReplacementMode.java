package dev.jitgw.policy.masking;

/**
 * What a masked value is replaced with (a profile's {@code replacement}). Listed from the least to
 * the most protective: when a rule names profiles with different modes, the most protective wins
 * ({@link #strictest}).
 */
public enum ReplacementMode {
  /**
   * {@code [MASKED:<detector>:…<last 4>]} for {@code credit_card}, {@code iban} and {@code phone}
   * values of at least 12 letters and digits; {@code [MASKED:<detector>]} for everything else,
   * {@code fields} included. Lets a reader tell which card or account was meant.
   */
  PARTIAL("partial"),

  /**
   * {@code [<detector>:<8 hex digits>]}: a keyed hash (HMAC-SHA256) of the value with a key per
   * caller, so the same value reads the same across a caller's turns and conversations, and
   * differently for another caller. Without a caller key it masks ({@link #MASK}).
   */
  PSEUDONYM("pseudonym"),

  /** {@code [MASKED:<detector>]}: nothing of the value is kept. The default. */
  MASK("mask");

  private final String key;

  ReplacementMode(String key) {
    this.key = key;
  }

  /** The name in the policy file. */
  public String key() {
    return key;
  }

  /** The more protective of the two. */
  static ReplacementMode strictest(ReplacementMode a, ReplacementMode b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
