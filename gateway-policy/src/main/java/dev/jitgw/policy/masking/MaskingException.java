package dev.jitgw.policy.masking;

/**
 * A response could not be masked: malformed JSON, an event or tool input over its size cap, an
 * event out of order. Masking fails closed: what could not be processed is never returned, and the
 * caller ends the response (a stream with an SSE {@code error} event). The message names the event
 * and the problem; it never contains response content.
 */
public final class MaskingException extends Exception {
  public MaskingException(String message) {
    super(message);
  }

  public MaskingException(String message, Throwable cause) {
    super(message, cause);
  }
}
