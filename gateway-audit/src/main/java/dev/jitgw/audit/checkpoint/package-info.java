/**
 * Signed checkpoints of the audit log, in the C2SP formats: <a
 * href="https://c2sp.org/signed-note">signed notes</a> (Ed25519, key names and key IDs, the {@code
 * PRIVATE+KEY+...} and {@code <name>+<hash>+<keydata>} key strings of {@code
 * golang.org/x/mod/sumdb/note}) carrying a <a href="https://c2sp.org/tlog-checkpoint">transparency
 * log checkpoint</a> (origin, tree size, root hash).
 *
 * <p>{@link dev.jitgw.audit.checkpoint.NoteSigner} and {@link
 * dev.jitgw.audit.checkpoint.NoteVerifier} sign and open notes; {@link
 * dev.jitgw.audit.checkpoint.Checkpoint} is the note text; {@link
 * dev.jitgw.audit.checkpoint.SignedCheckpoint} puts the two together; {@link
 * dev.jitgw.audit.checkpoint.CheckpointKeyFile} keeps the gateway's key on disk. Only the JDK's
 * Ed25519 is used.
 */
package dev.jitgw.audit.checkpoint;
