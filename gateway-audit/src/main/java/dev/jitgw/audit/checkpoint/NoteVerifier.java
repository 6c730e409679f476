package dev.jitgw.audit.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.jitgw.audit.checkpoint.NoteVerificationException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The public half of a named Ed25519 note key, from a verifier key string {@code
 * <name>+<hash>+<base64(0x01 || 32-byte public key)>} (the format of {@code
 * golang.org/x/mod/sumdb/note}), and the strict reader of notes signed by it
 * (c2sp.org/signed-note). Equal when the verifier key strings are equal.
 */
public final class NoteVerifier {

  private final String name;
  private final int keyHash;
  private final byte[] publicKey;
  private final PublicKey jdkKey;

  private NoteVerifier(String name, int keyHash, byte[] publicKey) throws GeneralSecurityException {
    this.name = name;
    this.keyHash = keyHash;
    this.publicKey = publicKey.clone();
    this.jdkKey = NoteFormat.ed25519PublicKey(this.publicKey);
  }

  /** The verifier of {@code name} with the 32-byte RFC 8032 public key {@code publicKey}. */
  public static NoteVerifier of(String name, byte[] publicKey) {
    requireNonNull(name, "name");
    requireNonNull(publicKey, "publicKey");
    NoteFormat.requireValidKeyName(name);
    if (publicKey.length != NoteFormat.ED25519_KEY_LENGTH) {
      throw new IllegalArgumentException(
          "Ed25519 public key is "
              + publicKey.length
              + " bytes (expected "
              + NoteFormat.ED25519_KEY_LENGTH
              + ")");
    }
    try {
      return new NoteVerifier(name, NoteFormat.keyHash(name, publicKey), publicKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the JDK refuses the Ed25519 public key of " + name, e);
    }
  }

  /**
   * Reads {@code <name>+<hash>+<keydata>}: a valid key name, eight hex digits, canonical base64 of
   * {@code 0x01} and 32 key bytes; the hash must be the key ID of name and key (signed-note
   * §Signatures, §Ed25519 signatures).
   */
  public static NoteVerifier parse(String verifierKey) {
    requireNonNull(verifierKey, "verifierKey");
    String expected = " (expected <name>+<hash>+<keydata>)";
    int plus1 = verifierKey.indexOf('+');
    int plus2 = plus1 < 0 ? -1 : verifierKey.indexOf('+', plus1 + 1);
    if (plus2 < 0) {
      throw new IllegalArgumentException(
          "verifier key "
              + NoteFormat.quote(verifierKey)
              + " has fewer than three parts"
              + expected);
    }
    String name = verifierKey.substring(0, plus1);
    String hash = verifierKey.substring(plus1 + 1, plus2);
    String keyData = verifierKey.substring(plus2 + 1);
    String nameProblem = NoteFormat.keyNameProblem(name);
    if (nameProblem != null) {
      throw new IllegalArgumentException(
          "verifier key "
              + NoteFormat.quote(verifierKey)
              + ": key name "
              + NoteFormat.quote(name)
              + " "
              + nameProblem);
    }
    Integer expectedHash = NoteFormat.parseHex8(hash);
    if (expectedHash == null) {
      throw new IllegalArgumentException(
          "verifier key "
              + NoteFormat.quote(verifierKey)
              + ": key hash "
              + NoteFormat.quote(hash)
              + " is not 8 hex digits"
              + expected);
    }
    byte[] key = NoteFormat.decodeBase64(keyData);
    if (key == null) {
      throw new IllegalArgumentException(
          "verifier key "
              + NoteFormat.quote(verifierKey)
              + ": key data "
              + NoteFormat.quote(keyData)
              + " is not canonical base64"
              + expected);
    }
    if (key.length == 0 || key[0] != NoteFormat.ALG_ED25519) {
      throw new IllegalArgumentException(
          "verifier key "
              + NoteFormat.quote(verifierKey)
              + ": unknown algorithm "
              + (key.length == 0 ? "(no key data)" : String.format("0x%02x", key[0] & 0xff))
              + " (expected 0x01, Ed25519; signed-note §Signature types)");
    }
    if (key.length != 1 + NoteFormat.ED25519_KEY_LENGTH) {
      throw new IllegalArgumentException(
          "verifier key "
              + NoteFormat.quote(verifierKey)
              + ": Ed25519 key data is "
              + (key.length - 1)
              + " bytes (expected "
              + NoteFormat.ED25519_KEY_LENGTH
              + ")");
    }
    byte[] raw = Arrays.copyOfRange(key, 1, key.length);
    int actualHash = NoteFormat.keyHash(name, raw);
    if (actualHash != expectedHash) {
      throw new IllegalArgumentException(
          "verifier key "
              + NoteFormat.quote(verifierKey)
              + ": key hash "
              + hash
              + " does not match name and key (they hash to "
              + NoteFormat.hex8(actualHash)
              + "; signed-note §Signatures)");
    }
    try {
      return new NoteVerifier(name, actualHash, raw);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "verifier key " + NoteFormat.quote(verifierKey) + ": the JDK refuses the key", e);
    }
  }

  public String name() {
    return name;
  }

  /** The key ID of signed-note §Signatures. */
  public int keyHash() {
    return keyHash;
  }

  /** {@code <name>+<hex8 key hash>}: names the key in messages and logs. */
  public String keyId() {
    return name + "+" + NoteFormat.hex8(keyHash);
  }

  /** The 32-byte RFC 8032 public key. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** {@code <name>+<hash>+<base64(0x01 || public key)>}. */
  public String verifierKey() {
    return keyId()
        + "+"
        + NoteFormat.base64(NoteFormat.concat(new byte[] {NoteFormat.ALG_ED25519}, publicKey));
  }

  /**
   * A signed note that carries a valid signature by this key.
   *
   * @param text the note text, ending in newline, without the blank line: what was signed
   * @param signature this key's signature
   * @param otherSignatures signatures by other keys, in note order, not verified (signed-note
   *     §Signatures: ignored), e.g. witness cosignatures
   */
  public record Verified(
      String text, NoteSignature signature, List<NoteSignature> otherSignatures) {
    public Verified {
      requireNonNull(text, "text");
      requireNonNull(signature, "signature");
      otherSignatures = List.copyOf(requireNonNull(otherSignatures, "otherSignatures"));
    }
  }

  /** As {@link #open(String)}, for the note's bytes, which must be valid UTF-8. */
  public Verified open(byte[] signedNote) throws NoteVerificationException {
    requireNonNull(signedNote, "signedNote");
    String text;
    try {
      text =
          UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(signedNote))
              .toString();
    } catch (CharacterCodingException e) {
      throw new NoteVerificationException(
          Reason.MALFORMED_NOTE,
          "note is not valid UTF-8 (signed-note §Format: signed notes MUST be valid UTF-8)",
          e);
    }
    return open(text);
  }

  /**
   * Opens a signed note (signed-note §Format): valid text with no control characters but newline;
   * the text, ending in newline; a blank line (the last one in the note); then only signature lines
   * {@code — <name> <base64>}, each ending in newline, at most {@value NoteFormat#MAX_SIGNATURES}.
   * Signatures by other keys, even with this key's name or key ID (not both), are ignored; every
   * signature with this key's name and key ID must verify (signed-note §Signatures), and at least
   * one must be there.
   *
   * @throws NoteVerificationException with {@link Reason#MALFORMED_NOTE}, {@link
   *     Reason#UNKNOWN_KEY} or {@link Reason#BAD_SIGNATURE}
   */
  public Verified open(String signedNote) throws NoteVerificationException {
    requireNonNull(signedNote, "signedNote");
    String problem = NoteFormat.textProblem(signedNote);
    if (problem != null) {
      throw malformed("note " + problem);
    }
    // signed-note §Format: "the text is separated from the signatures by the last empty line".
    int split = signedNote.lastIndexOf("\n\n");
    if (split < 0) {
      throw malformed(
          "note has no blank line between its text and its signatures (expected text ending in"
              + " newline, a blank line, then signature lines)");
    }
    String text = signedNote.substring(0, split + 1);
    String block = signedNote.substring(split + 2);
    if (block.isEmpty()) {
      throw malformed(
          "note has no signature lines after its blank line (expected at least one \"— <key name>"
              + " <base64 signature>\" line)");
    }
    if (!block.endsWith("\n")) {
      throw malformed(
          "note does not end with a newline (expected every signature line to end in U+000A)");
    }
    String[] lines = block.substring(0, block.length() - 1).split("\n", -1);
    if (lines.length > NoteFormat.MAX_SIGNATURES) {
      throw malformed(
          "note has "
              + lines.length
              + " signature lines (at most "
              + NoteFormat.MAX_SIGNATURES
              + " are accepted)");
    }
    List<NoteSignature> signatures = new ArrayList<>(lines.length);
    for (int i = 0; i < lines.length; i++) {
      signatures.add(parseSignatureLine(lines[i], i + 1));
    }

    byte[] message = text.getBytes(UTF_8);
    NoteSignature mine = null;
    List<NoteSignature> others = new ArrayList<>();
    for (NoteSignature signature : signatures) {
      if (!signature.keyName().equals(name) || signature.keyHash() != keyHash) {
        others.add(signature); // signed-note §Signatures: unknown keys are ignored
        continue;
      }
      byte[] bytes = signature.signatureBytes();
      if (bytes.length != NoteFormat.ED25519_SIGNATURE_LENGTH) {
        throw new NoteVerificationException(
            Reason.BAD_SIGNATURE,
            "signature by "
                + keyId()
                + " is "
                + bytes.length
                + " bytes (expected "
                + NoteFormat.ED25519_SIGNATURE_LENGTH
                + " for Ed25519)");
      }
      if (!NoteFormat.verify(jdkKey, message, bytes)) {
        throw new NoteVerificationException(
            Reason.BAD_SIGNATURE,
            "signature by "
                + keyId()
                + " does not verify over the note text (expected an Ed25519 signature of the text"
                + " as written; the text or the signature was altered)");
      }
      if (mine == null) {
        mine = signature;
      }
    }
    if (mine == null) {
      throw new NoteVerificationException(
          Reason.UNKNOWN_KEY,
          "note has no signature by "
              + keyId()
              + " (found "
              + (others.isEmpty()
                  ? "none"
                  : String.join(", ", others.stream().map(NoteSignature::keyId).toList()))
              + "; signatures by other keys are ignored)");
    }
    return new Verified(text, mine, others);
  }

  /** signed-note §Format: em dash, space, key name, space, base64(key ID || signature). */
  private static NoteSignature parseSignatureLine(String line, int number)
      throws NoteVerificationException {
    String where = "signature line " + number + " " + NoteFormat.quote(line);
    if (!line.startsWith(NoteFormat.SIGNATURE_PREFIX)) {
      throw malformed(
          where
              + " does not start with an em dash and a space (expected \"— <key name> <base64"
              + " signature>\"; after the last blank line only signature lines may follow)");
    }
    String rest = line.substring(NoteFormat.SIGNATURE_PREFIX.length());
    int space = rest.indexOf(' ');
    if (space < 0) {
      throw malformed(where + " has no space between key name and signature");
    }
    String keyName = rest.substring(0, space);
    String base64 = rest.substring(space + 1);
    String nameProblem = NoteFormat.keyNameProblem(keyName);
    if (nameProblem != null) {
      throw malformed(where + ": key name " + NoteFormat.quote(keyName) + " " + nameProblem);
    }
    byte[] raw = NoteFormat.decodeBase64(base64);
    if (raw == null || raw.length < 5) {
      throw malformed(
          where
              + ": "
              + NoteFormat.quote(base64)
              + " is not canonical base64 of a 4-byte key ID and a signature");
    }
    int id = ByteBuffer.wrap(raw).getInt();
    return new NoteSignature(keyName, id, base64);
  }

  /** For the signer's self-check. */
  boolean verifies(byte[] message, byte[] signature) {
    return NoteFormat.verify(jdkKey, message, signature);
  }

  private static NoteVerificationException malformed(String message) {
    return new NoteVerificationException(Reason.MALFORMED_NOTE, message + " (signed-note §Format)");
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof NoteVerifier that
        && name.equals(that.name)
        && Arrays.equals(publicKey, that.publicKey);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(publicKey);
  }

  @Override
  public String toString() {
    return verifierKey();
  }
}
