package dev.jitgw.audit.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The shared rules of the C2SP signed-note format (c2sp.org/signed-note) and the Ed25519 plumbing
 * the JDK needs to speak it. Problems are answered as {@code null} (fine) or a sentence saying what
 * is wrong, so that each caller can throw the exception that suits it.
 */
final class NoteFormat {

  /** signed-note §Format: a signature line starts with an em dash (U+2014) and a space. */
  static final String SIGNATURE_PREFIX = "\u2014 ";

  /** signed-note §Signature types: {@code 0x01}, Ed25519. */
  static final byte ALG_ED25519 = 0x01;

  static final int ED25519_KEY_LENGTH = 32;
  static final int ED25519_SIGNATURE_LENGTH = 64;

  /**
   * signed-note §Format: verifiers SHOULD cap the number of signatures and MUST accept at least 16;
   * 100 is the cap of golang.org/x/mod/sumdb/note.
   */
  static final int MAX_SIGNATURES = 100;

  /** PKCS#8 of an Ed25519 private key (RFC 8410) up to the 32-byte seed. */
  private static final byte[] PKCS8_PREFIX =
      HexFormat.of().parseHex("302e020100300506032b657004220420");

  /** X.509 SubjectPublicKeyInfo of an Ed25519 public key (RFC 8410) up to the 32-byte key. */
  private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  private NoteFormat() {}

  // --- names and text -----------------------------------------------------------------------

  /**
   * signed-note §Format: key names MUST be non-empty and MUST NOT contain Unicode spaces or plus
   * (U+002B); as the whole note may not hold control characters, neither may a name.
   */
  static String keyNameProblem(String name) {
    if (name.isEmpty()) {
      return "is empty (expected a non-empty name without spaces or '+')";
    }
    String text = textProblem(name);
    if (text != null) {
      return text;
    }
    for (int i = 0; i < name.length(); ) {
      int cp = name.codePointAt(i);
      if (cp == '+') {
        return "contains '+' at offset " + i + " (expected a name without spaces or '+')";
      }
      if (isUnicodeSpace(cp)) {
        return "contains a space (U+"
            + hex4(cp)
            + ") at offset "
            + i
            + " (expected a name without spaces or '+')";
      }
      i += Character.charCount(cp);
    }
    return null;
  }

  static void requireValidKeyName(String name) {
    String problem = keyNameProblem(name);
    if (problem != null) {
      throw new IllegalArgumentException(
          "key name " + quote(name) + " " + problem + " (signed-note §Format)");
    }
  }

  /**
   * signed-note §Format: notes MUST be valid UTF-8 (here: no unpaired surrogate, which could not be
   * encoded) and MUST NOT contain ASCII control characters other than newline.
   */
  static String textProblem(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 && c != '\n') {
        return "contains control character U+"
            + hex4(c)
            + " at offset "
            + i
            + " (only newline is allowed below U+0020)";
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return "contains an unpaired surrogate U+"
            + hex4(c)
            + " at offset "
            + i
            + " (not encodable as UTF-8)";
      }
    }
    return null;
  }

  /** The white space of Go's {@code unicode.IsSpace}, which the reference implementation uses. */
  private static boolean isUnicodeSpace(int cp) {
    return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
  }

  // --- key IDs, base64 ----------------------------------------------------------------------

  /**
   * signed-note §Signatures and §Ed25519 signatures: key ID = first four bytes, big-endian, of
   * SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key).
   */
  static int keyHash(String name, byte[] publicKey) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    sha256.update(name.getBytes(UTF_8));
    sha256.update((byte) '\n');
    sha256.update(ALG_ED25519);
    sha256.update(publicKey);
    return ByteBuffer.wrap(sha256.digest()).getInt();
  }

  /** The key hash as Go's {@code %08x}: eight lower-case hex digits. */
  static String hex8(int keyHash) {
    return HexFormat.of().toHexDigits(keyHash);
  }

  /** Parses exactly eight ASCII hex digits (either case, as Go does), or answers {@code null}. */
  static Integer parseHex8(String hex) {
    if (hex.length() != 8) {
      return null;
    }
    for (int i = 0; i < 8; i++) {
      char c = hex.charAt(i);
      boolean digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!digit) {
        return null;
      }
    }
    return (int) Long.parseLong(hex, 16);
  }

  /**
   * Standard base64 (RFC 4648 §4, the encoding C2SP uses), and only its canonical form: padded, no
   * stray bits, nothing else. Answers {@code null} for anything else, so that one value has one
   * spelling.
   */
  static byte[] decodeBase64(String text) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return Base64.getEncoder().encodeToString(bytes).equals(text) ? bytes : null;
  }

  static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  // --- Ed25519 with the JDK -----------------------------------------------------------------

  /** A JDK private key from the 32-byte RFC 8032 seed, via its PKCS#8 encoding. */
  static PrivateKey ed25519PrivateKey(byte[] seed) {
    byte[] pkcs8 = concat(PKCS8_PREFIX, seed);
    try {
      return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK refused an Ed25519 private key", e);
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
  }

  /** A JDK public key from the 32-byte RFC 8032 encoding, via its X.509 encoding. */
  static PublicKey ed25519PublicKey(byte[] raw) throws GeneralSecurityException {
    return KeyFactory.getInstance("Ed25519")
        .generatePublic(new X509EncodedKeySpec(concat(X509_PREFIX, raw)));
  }

  /** The 32-byte RFC 8032 encoding of a JDK Ed25519 public key. */
  static byte[] rawPublicKey(PublicKey key) {
    byte[] encoded = key.getEncoded();
    if (encoded == null
        || encoded.length != X509_PREFIX.length + ED25519_KEY_LENGTH
        || !Arrays.equals(encoded, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
      throw new IllegalStateException(
          "not an X.509-encoded Ed25519 public key: " + key.getAlgorithm() + "/" + key.getFormat());
    }
    return Arrays.copyOfRange(encoded, X509_PREFIX.length, encoded.length);
  }

  /** The 32-byte seed of a JDK Ed25519 private key. */
  static byte[] seed(PrivateKey key) {
    if (key instanceof EdECPrivateKey edec) {
      byte[] seed = edec.getBytes().orElse(null);
      if (seed != null && seed.length == ED25519_KEY_LENGTH) {
        return seed;
      }
    }
    throw new IllegalStateException(
        "not an extractable Ed25519 private key: " + key.getAlgorithm());
  }

  /**
   * The public key of a seed. The JDK has no public call for this, so the key pair generator is fed
   * the seed as its "random" bytes (SunEC draws exactly the 32-byte seed, RFC 8032 §5.1.5); the
   * result is checked to be the pair of that seed, so a provider that draws differently fails
   * loudly instead of producing a wrong key.
   */
  static byte[] ed25519PublicKeyOf(byte[] seed) {
    KeyPair pair;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
      generator.initialize(NamedParameterSpec.ED25519, new FixedBytes(seed));
      pair = generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot derive an Ed25519 public key", e);
    }
    byte[] drawn = seed(pair.getPrivate());
    try {
      if (!Arrays.equals(drawn, seed)) {
        throw new IllegalStateException(
            "the JDK's Ed25519 key pair generator did not use the given seed; cannot derive the"
                + " public key");
      }
    } finally {
      Arrays.fill(drawn, (byte) 0);
    }
    return rawPublicKey(pair.getPublic());
  }

  static byte[] sign(PrivateKey key, byte[] message) {
    try {
      Signature signature = Signature.getInstance("Ed25519");
      signature.initSign(key);
      signature.update(message);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /** RFC 8032 verification; a signature the JDK cannot even parse is simply not valid. */
  static boolean verify(PublicKey key, byte[] message, byte[] signatureBytes) {
    try {
      Signature signature = Signature.getInstance("Ed25519");
      signature.initVerify(key);
      signature.update(message);
      return signature.verify(signatureBytes);
    } catch (java.security.SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 verification could not run", e);
    }
  }

  // --- small things -------------------------------------------------------------------------

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static String hex4(int cp) {
    return String.format("%04X", cp);
  }

  /** A value for a message: quoted, control characters escaped, long values cut. */
  static String quote(String value) {
    StringBuilder out = new StringBuilder("\"");
    int limit = Math.min(value.length(), 120);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20 || Character.isSurrogate(c)) {
            out.append("\\u").append(hex4(c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
    if (value.length() > limit) {
      out.append("... (").append(value.length()).append(" chars)");
    }
    return out.toString();
  }

  /** Hands the key pair generator the seed, and nothing else. */
  private static final class FixedBytes extends SecureRandom {
    private final byte[] bytes;
    private boolean used;

    FixedBytes(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public void nextBytes(byte[] out) {
      if (used || out.length != bytes.length) {
        throw new IllegalStateException(
            "Ed25519 key pair generator asked for "
                + out.length
                + " random bytes (expected one draw of "
                + bytes.length
                + ")");
      }
      used = true;
      System.arraycopy(bytes, 0, out, 0, bytes.length);
    }
  }
}
