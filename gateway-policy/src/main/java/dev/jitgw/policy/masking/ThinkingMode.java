package dev.jitgw.policy.masking;

/**
 * What masking does with {@code thinking} blocks. Their text is signed: the signature covers it,
 * and the API checks it when the block is sent back (extended thinking with tool use requires
 * that), so thinking is never rewritten in place.
 */
public enum ThinkingMode {
  /**
   * Thinking passes unchanged, unmasked: multi-turn tool use keeps working, and a value the model
   * wrote while thinking reaches the caller. The default.
   */
  LEAVE,

  /**
   * Each thinking block becomes a {@code redacted_thinking} block; in a stream its deltas become
   * {@code ping} events. Nothing the model thought reaches the caller, but the block cannot be sent
   * back: a turn that must return it (tool use with thinking) is refused by the API.
   */
  DROP
}
