package dev.jitgw.audit.tree;

import static java.util.Objects.requireNonNull;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The hashing of RFC 9162 §2.1.1: SHA-256 with domain separation between leaves ({@code 0x00}
 * prefix) and interior nodes ({@code 0x01} prefix), so that no leaf can be passed off as a node
 * (the second-preimage attack the prefixes exist to prevent). Every hash is a fresh 32-byte array
 * the caller owns.
 */
public final class MerkleHash {

  /** The length of every hash in the tree: SHA-256. */
  public static final int HASH_LENGTH = 32;

  private static final byte LEAF_PREFIX = 0x00;
  private static final byte NODE_PREFIX = 0x01;

  // MessageDigest is stateful and not thread-safe; one per thread avoids both locking and a
  // provider lookup per hash, which matters because every append and verification hashes O(log n)
  // times.
  private static final ThreadLocal<MessageDigest> SHA_256 =
      ThreadLocal.withInitial(MerkleHash::newSha256);

  private static final byte[] EMPTY_ROOT = sha256().digest();

  private MerkleHash() {}

  /** RFC 9162 §2.1.1: the hash of a leaf, {@code SHA-256(0x00 || record)}. */
  public static byte[] leafHash(byte[] record) {
    requireNonNull(record, "record");
    MessageDigest digest = sha256();
    digest.update(LEAF_PREFIX);
    digest.update(record);
    return digest.digest();
  }

  /**
   * RFC 9162 §2.1.1: the hash of an interior node, {@code SHA-256(0x01 || left || right)}.
   *
   * @throws IllegalArgumentException if either child is not a 32-byte hash
   */
  public static byte[] nodeHash(byte[] left, byte[] right) {
    requireHash(left, "left");
    requireHash(right, "right");
    MessageDigest digest = sha256();
    digest.update(NODE_PREFIX);
    digest.update(left);
    digest.update(right);
    return digest.digest();
  }

  /** RFC 9162 §2.1.1: the hash of the empty tree, {@code SHA-256()} of the empty string. */
  public static byte[] emptyRoot() {
    return EMPTY_ROOT.clone();
  }

  /**
   * Checks that {@code hash} is a non-null 32-byte array and returns it.
   *
   * @throws IllegalArgumentException if its length is not {@value #HASH_LENGTH}
   */
  static byte[] requireHash(byte[] hash, String name) {
    requireNonNull(hash, name);
    if (hash.length != HASH_LENGTH) {
      throw new IllegalArgumentException(
          name + ".length: " + hash.length + " (expected: " + HASH_LENGTH + ")");
    }
    return hash;
  }

  /** Whether {@code hash} could be a tree hash; for untrusted input that must not throw. */
  static boolean isHash(byte[] hash) {
    return hash != null && hash.length == HASH_LENGTH;
  }

  private static MessageDigest sha256() {
    MessageDigest digest = SHA_256.get();
    // A digest left dirty by an exception mid-update must not leak into the next hash.
    digest.reset();
    return digest;
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide SHA-256 (MessageDigest javadoc), so this is a broken JDK.
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
