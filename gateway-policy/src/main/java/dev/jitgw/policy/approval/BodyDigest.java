package dev.jitgw.policy.approval;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The body digest approvals are bound to: lower-case hex SHA-256, as the audit log records it. */
public final class BodyDigest {
  private BodyDigest() {}

  /** Digests the remaining bytes of {@code body} without moving its position. */
  public static String sha256(ByteBuffer body) {
    MessageDigest digest = sha256();
    digest.update(body.duplicate());
    return HexFormat.of().formatHex(digest.digest());
  }

  public static String sha256(byte[] body) {
    return HexFormat.of().formatHex(sha256().digest(body));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
