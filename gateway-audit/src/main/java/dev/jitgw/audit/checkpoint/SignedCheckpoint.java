package dev.jitgw.audit.checkpoint;

import static java.util.Objects.requireNonNull;

import dev.jitgw.audit.checkpoint.NoteVerificationException.Reason;

/**
 * Checkpoints as signed notes (c2sp.org/tlog-checkpoint): the {@link Checkpoint#body()} is the note
 * text, signed by the log's key, whose name is the origin (tlog-checkpoint §Signatures: the key
 * name SHOULD match the origin line; this log always does so).
 */
public final class SignedCheckpoint {

  private SignedCheckpoint() {}

  /**
   * The signed note of {@code checkpoint}.
   *
   * @throws IllegalArgumentException if the signer's name is not the checkpoint's origin
   */
  public static String sign(Checkpoint checkpoint, NoteSigner signer) {
    requireNonNull(checkpoint, "checkpoint");
    requireNonNull(signer, "signer");
    if (!signer.name().equals(checkpoint.origin())) {
      throw new IllegalArgumentException(
          "key "
              + signer.keyId()
              + " is named "
              + NoteFormat.quote(signer.name())
              + " but the checkpoint origin is "
              + NoteFormat.quote(checkpoint.origin())
              + " (expected the key name to be the origin; tlog-checkpoint §Signatures)");
    }
    return signer.sign(checkpoint.body());
  }

  /**
   * Opens a checkpoint of the log whose origin is the verifier's key name, as this log's
   * checkpoints are ({@link #sign}).
   */
  public static Checkpoint open(String signedNote, NoteVerifier verifier)
      throws NoteVerificationException {
    requireNonNull(verifier, "verifier");
    return open(signedNote, verifier, verifier.name());
  }

  /**
   * Opens a checkpoint: the note must be signed by {@code verifier} ({@link NoteVerifier#open}),
   * its text must be a checkpoint ({@link Checkpoint#parse}) and its origin must be {@code
   * expectedOrigin}, so that a key cannot vouch for another log's tree. Other signatures (e.g.
   * witness cosignatures) are ignored (tlog-checkpoint §Signatures).
   *
   * @throws NoteVerificationException with any {@link Reason}
   */
  public static Checkpoint open(String signedNote, NoteVerifier verifier, String expectedOrigin)
      throws NoteVerificationException {
    requireNonNull(signedNote, "signedNote");
    requireNonNull(verifier, "verifier");
    requireNonNull(expectedOrigin, "expectedOrigin");
    NoteVerifier.Verified note = verifier.open(signedNote);
    Checkpoint checkpoint;
    try {
      checkpoint = Checkpoint.parse(note.text());
    } catch (IllegalArgumentException e) {
      throw new NoteVerificationException(
          Reason.MALFORMED_CHECKPOINT,
          "note signed by " + verifier.keyId() + " is not a checkpoint: " + e.getMessage(),
          e);
    }
    if (!checkpoint.origin().equals(expectedOrigin)) {
      throw new NoteVerificationException(
          Reason.WRONG_ORIGIN,
          "checkpoint signed by "
              + verifier.keyId()
              + " has origin "
              + NoteFormat.quote(checkpoint.origin())
              + " (expected "
              + NoteFormat.quote(expectedOrigin)
              + ")");
    }
    return checkpoint;
  }
}
