package dev.jitgw.audit.checkpoint;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * One signature line of a signed note, verified or not (signed-note §Signatures): {@code — <key
 * name> base64(key ID || signature)}.
 *
 * @param keyName the key name, valid per signed-note §Format
 * @param keyHash the 32-bit key ID, the first four bytes of the decoded signature
 * @param base64 the signature as written: canonical base64 of at least five bytes
 */
public record NoteSignature(String keyName, int keyHash, String base64) {

  public NoteSignature {
    requireNonNull(keyName, "keyName");
    requireNonNull(base64, "base64");
    NoteFormat.requireValidKeyName(keyName);
    byte[] raw = NoteFormat.decodeBase64(base64);
    if (raw == null || raw.length < 5) {
      throw new IllegalArgumentException(
          "signature "
              + NoteFormat.quote(base64)
              + " is not canonical base64 of a 4-byte key ID and a signature (signed-note"
              + " §Format)");
    }
    int id = (raw[0] & 0xff) << 24 | (raw[1] & 0xff) << 16 | (raw[2] & 0xff) << 8 | raw[3] & 0xff;
    if (id != keyHash) {
      throw new IllegalArgumentException(
          "signature starts with key ID "
              + NoteFormat.hex8(id)
              + " but the key hash given is "
              + NoteFormat.hex8(keyHash));
    }
  }

  /** {@code <name>+<hex8 key hash>}, the way the reference implementation names a key. */
  public String keyId() {
    return keyName + "+" + NoteFormat.hex8(keyHash);
  }

  /** The signature proper, without the key ID. */
  public byte[] signatureBytes() {
    byte[] raw = NoteFormat.decodeBase64(base64);
    return Arrays.copyOfRange(raw, 4, raw.length);
  }

  /** The line as it appears in a note, without its newline. */
  public String line() {
    return NoteFormat.SIGNATURE_PREFIX + keyName + " " + base64;
  }
}
