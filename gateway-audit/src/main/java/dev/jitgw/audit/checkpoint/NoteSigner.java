package dev.jitgw.audit.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Arrays;

/**
 * A named Ed25519 key that signs notes (c2sp.org/signed-note), interchangeable with {@code
 * golang.org/x/mod/sumdb/note}: its private key string is Go's {@code
 * PRIVATE+KEY+<name>+<hash>+<base64(0x01 || 32-byte seed)>} and its {@link #verifierKey()} Go's
 * {@code <name>+<hash>+<base64(0x01 || 32-byte public key)>}. Ed25519 signatures are deterministic
 * (RFC 8032), so the same key and text always give the same note.
 *
 * <p>{@link #toString()} names the key, never its private half.
 */
public final class NoteSigner {

  /** The literal start of an encoded private key, so it cannot be mistaken for a verifier key. */
  static final String PRIVATE_KEY_PREFIX = "PRIVATE+KEY+";

  private final String name;
  private final int keyHash;
  private final byte[] seed;
  private final PrivateKey privateKey;
  private final NoteVerifier verifier;

  private NoteSigner(String name, byte[] seed) {
    this.name = name;
    this.seed = seed.clone();
    this.privateKey = NoteFormat.ed25519PrivateKey(this.seed);
    byte[] publicKey = NoteFormat.ed25519PublicKeyOf(this.seed);
    this.verifier = NoteVerifier.of(name, publicKey);
    this.keyHash = verifier.keyHash();
    // The public key was derived in a roundabout way (see NoteFormat.ed25519PublicKeyOf): prove
    // once that it is the pair of the signing key, rather than publish a verifier key that cannot
    // verify anything this signer signs.
    byte[] probe = ("jitgw key check " + name + "\n").getBytes(UTF_8);
    if (!verifier.verifies(probe, NoteFormat.sign(privateKey, probe))) {
      throw new IllegalStateException(
          "the Ed25519 public key derived for " + verifier.keyId() + " does not match its seed");
    }
  }

  /** A new random key named {@code name} (for a log: its origin, tlog-checkpoint §Signatures). */
  public static NoteSigner generate(String name) {
    requireNonNull(name, "name");
    NoteFormat.requireValidKeyName(name);
    PrivateKey generated;
    try {
      generated = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate Ed25519 keys", e);
    }
    byte[] seed = NoteFormat.seed(generated);
    try {
      return new NoteSigner(name, seed);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** The key named {@code name} with the 32-byte RFC 8032 private key (seed) {@code seed}. */
  public static NoteSigner fromSeed(String name, byte[] seed) {
    requireNonNull(name, "name");
    requireNonNull(seed, "seed");
    NoteFormat.requireValidKeyName(name);
    if (seed.length != NoteFormat.ED25519_KEY_LENGTH) {
      throw new IllegalArgumentException(
          "Ed25519 seed is "
              + seed.length
              + " bytes (expected "
              + NoteFormat.ED25519_KEY_LENGTH
              + ")");
    }
    return new NoteSigner(name, seed);
  }

  /**
   * Reads {@code PRIVATE+KEY+<name>+<hash>+<keydata>}, checking, as Go's {@code note.NewSigner}
   * does, that the key hash is that of the public key of the seed. Messages never repeat the key
   * data.
   */
  public static NoteSigner parse(String privateKey) {
    requireNonNull(privateKey, "privateKey");
    if (!privateKey.startsWith(PRIVATE_KEY_PREFIX)) {
      throw new IllegalArgumentException(
          "not a note private key: it does not start with "
              + PRIVATE_KEY_PREFIX
              + " (expected PRIVATE+KEY+<name>+<hash>+<keydata>; the value is not shown)");
    }
    String rest = privateKey.substring(PRIVATE_KEY_PREFIX.length());
    int plus1 = rest.indexOf('+');
    int plus2 = plus1 < 0 ? -1 : rest.indexOf('+', plus1 + 1);
    if (plus2 < 0) {
      throw new IllegalArgumentException(
          "not a note private key: no <name>+<hash>+<keydata> after "
              + PRIVATE_KEY_PREFIX
              + " (the value is not shown)");
    }
    String name = rest.substring(0, plus1);
    String hash = rest.substring(plus1 + 1, plus2);
    String keyData = rest.substring(plus2 + 1);
    String nameProblem = NoteFormat.keyNameProblem(name);
    if (nameProblem != null) {
      throw new IllegalArgumentException(
          "note private key: key name " + NoteFormat.quote(name) + " " + nameProblem);
    }
    Integer expectedHash = NoteFormat.parseHex8(hash);
    if (expectedHash == null) {
      throw new IllegalArgumentException(
          "note private key for "
              + NoteFormat.quote(name)
              + ": key hash "
              + NoteFormat.quote(hash)
              + " is not 8 hex digits");
    }
    byte[] key = NoteFormat.decodeBase64(keyData);
    try {
      if (key == null) {
        throw new IllegalArgumentException(
            "note private key for "
                + name
                + ": key data is not canonical base64 (the value is not shown)");
      }
      if (key.length == 0 || key[0] != NoteFormat.ALG_ED25519) {
        throw new IllegalArgumentException(
            "note private key for "
                + name
                + ": unknown algorithm "
                + (key.length == 0 ? "(no key data)" : String.format("0x%02x", key[0] & 0xff))
                + " (expected 0x01, Ed25519)");
      }
      if (key.length != 1 + NoteFormat.ED25519_KEY_LENGTH) {
        throw new IllegalArgumentException(
            "note private key for "
                + name
                + ": Ed25519 key data is "
                + (key.length - 1)
                + " bytes (expected "
                + NoteFormat.ED25519_KEY_LENGTH
                + ")");
      }
      NoteSigner signer = new NoteSigner(name, Arrays.copyOfRange(key, 1, key.length));
      if (signer.keyHash != expectedHash) {
        throw new IllegalArgumentException(
            "note private key for "
                + name
                + ": key hash "
                + hash
                + " does not match the key (its public key hashes to "
                + NoteFormat.hex8(signer.keyHash)
                + "; signed-note §Signatures)");
      }
      return signer;
    } finally {
      if (key != null) {
        Arrays.fill(key, (byte) 0);
      }
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
    return verifier.keyId();
  }

  /** The secret: {@code PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>}. Keep it that way. */
  public String privateKey() {
    byte[] key = NoteFormat.concat(new byte[] {NoteFormat.ALG_ED25519}, seed);
    try {
      return PRIVATE_KEY_PREFIX + keyId() + "+" + NoteFormat.base64(key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** {@code <name>+<hash>+<base64(0x01 || public key)>}: give this to those who verify. */
  public String verifierKey() {
    return verifier.verifierKey();
  }

  public NoteVerifier verifier() {
    return verifier;
  }

  /**
   * Signs {@code text} (signed-note §Format: it ends with a newline, has no control characters
   * other than newline) and answers the signed note: the text, a blank line and this key's
   * signature line {@code — <name> base64(key ID || Ed25519 signature of the text)}.
   */
  public String sign(String text) {
    requireNonNull(text, "text");
    if (!text.endsWith("\n")) {
      throw new IllegalArgumentException(
          "note text "
              + NoteFormat.quote(text)
              + " does not end with a newline (signed-note §Format: the text ends in U+000A)");
    }
    String problem = NoteFormat.textProblem(text);
    if (problem != null) {
      throw new IllegalArgumentException("note text " + problem + " (signed-note §Format)");
    }
    return text + "\n" + signatureLine(text) + "\n";
  }

  /** This key's signature line for {@code text}, without its newline. */
  String signatureLine(String text) {
    byte[] signature = NoteFormat.sign(privateKey, text.getBytes(UTF_8));
    byte[] body = ByteBuffer.allocate(4 + signature.length).putInt(keyHash).put(signature).array();
    return NoteFormat.SIGNATURE_PREFIX + name + " " + NoteFormat.base64(body);
  }

  @Override
  public String toString() {
    return "NoteSigner[" + keyId() + "]";
  }
}
