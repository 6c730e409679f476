package dev.jitgw.policy.masking;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.io.AtomicFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The gateway's secret for {@link ReplacementMode#PSEUDONYM}: 32 random bytes, kept in a file of
 * the data directory ({@code {data_dir}/masking-key}), from which a key per caller is derived. The
 * same value gets the same pseudonym for one caller (within a conversation and across them) and a
 * different one for another caller; nobody without the file can tell which value a pseudonym stands
 * for by hashing guesses.
 *
 * <p>Immutable and thread-safe. {@link #toString} never shows the key.
 */
public final class PseudonymKey {
  /** Bytes of the gateway secret. */
  public static final int LENGTH = 32;

  private static final byte[] CONTEXT =
      "jitgw masking pseudonym v1".getBytes(StandardCharsets.UTF_8);

  private final byte[] secret;

  private PseudonymKey(byte[] secret) {
    this.secret = secret;
  }

  /** A key from its bytes (tests, or a secret kept elsewhere). */
  public static PseudonymKey of(byte[] secret) {
    requireNonNull(secret, "secret");
    if (secret.length != LENGTH) {
      throw new IllegalArgumentException(
          "secret: " + secret.length + " bytes (expected: " + LENGTH + ")");
    }
    return new PseudonymKey(secret.clone());
  }

  /**
   * Reads the key from {@code file}, or creates it there: random bytes, written atomically and
   * readable by the owner only. Pseudonyms stay the same across restarts as long as the file does;
   * deleting it changes them all.
   *
   * @throws UncheckedIOException when the file cannot be read or written
   * @throws IllegalStateException when the file does not hold a key
   */
  public static PseudonymKey openOrCreate(Path file) {
    requireNonNull(file, "file");
    try {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (NoSuchFileException e) {
        Path directory = file.toAbsolutePath().getParent();
        if (directory != null) {
          Files.createDirectories(directory);
        }
        bytes = new byte[LENGTH];
        new SecureRandom().nextBytes(bytes);
        // AtomicFile's temporary file is owner-only, and the move keeps that.
        AtomicFile.write(file, bytes);
      }
      if (bytes.length != LENGTH) {
        throw new IllegalStateException(
            "masking key "
                + file
                + " has "
                + bytes.length
                + " bytes (expected: "
                + LENGTH
                + "; delete it to make a new one, which changes every pseudonym)");
      }
      return new PseudonymKey(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException("cannot read or create the masking key " + file + ": " + e, e));
    }
  }

  /**
   * The key of one caller, identified by their token's issuer and subject: HMAC-SHA256 of both
   * under the gateway secret, each length-prefixed so that no two callers share an input.
   */
  public byte[] callerKey(String issuer, String subject) {
    requireNonNull(issuer, "issuer");
    requireNonNull(subject, "subject");
    byte[] iss = issuer.getBytes(StandardCharsets.UTF_8);
    byte[] sub = subject.getBytes(StandardCharsets.UTF_8);
    ByteBuffer input = ByteBuffer.allocate(CONTEXT.length + 1 + 8 + iss.length + sub.length);
    input.put(CONTEXT).put((byte) 0).putInt(iss.length).put(iss).putInt(sub.length).put(sub);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(input.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  @Override
  public String toString() {
    return "PseudonymKey[32 bytes]";
  }
}
