package dev.jitgw.audit.checkpoint;

import static java.util.Objects.requireNonNull;

/**
 * A signed note, or the checkpoint in it, was refused. {@link #reason()} says which way; the
 * message says what was found and what was expected.
 */
public final class NoteVerificationException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a note was refused. */
  public enum Reason {
    /** Not a signed note at all (signed-note §Format): layout, characters, signature lines. */
    MALFORMED_NOTE,
    /**
     * Well-formed, but no signature by the expected key (name and key ID); signatures by other keys
     * are ignored (signed-note §Signatures), so they do not count.
     */
    UNKNOWN_KEY,
    /** A signature by the expected key is there and does not verify (signed-note §Signatures). */
    BAD_SIGNATURE,
    /** The note verifies but its text is not a checkpoint (tlog-checkpoint §Note text). */
    MALFORMED_CHECKPOINT,
    /** The note verifies and is a checkpoint, but of another log (tlog-checkpoint §Note text). */
    WRONG_ORIGIN
  }

  private final Reason reason;

  public NoteVerificationException(Reason reason, String message) {
    this(reason, message, null);
  }

  public NoteVerificationException(Reason reason, String message, Throwable cause) {
    super(requireNonNull(message, "message"), cause);
    this.reason = requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
