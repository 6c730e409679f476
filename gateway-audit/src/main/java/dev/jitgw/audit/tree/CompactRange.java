package dev.jitgw.audit.tree;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * The compact range (or "frontier") of a tree prefix {@code [0, size)}: the hashes of the maximal
 * complete subtrees that tile it, left to right, one per set bit of {@code size} from the highest
 * to the lowest. It is all the state needed to keep appending leaves and to compute the RFC 9162
 * §2.1.1 root, so an export that starts at leaf {@code k} only needs the compact range of {@code
 * [0, k)} (at most 64 hashes) to let a verifier recompute every later root from the exported leaves
 * alone.
 *
 * <p>Mutable and not thread-safe: it is a streaming accumulator. Hashes are copied in and out.
 */
public final class CompactRange {

  private long size;
  // hashes.get(i) covers 2^level leaves where level is the i-th set bit of size from the top.
  private final ArrayList<byte[]> hashes;

  private CompactRange(long size, ArrayList<byte[]> hashes) {
    this.size = size;
    this.hashes = hashes;
  }

  /** The compact range of the empty tree. */
  public static CompactRange empty() {
    return new CompactRange(0, new ArrayList<>());
  }

  /**
   * The compact range of {@code [0, size)} from its subtree hashes, left to right, as returned by
   * {@link MerkleTree#compactRange(MerkleTree, long)} or {@link #hashes()}.
   *
   * @throws IllegalArgumentException if {@code size} is negative, or if the number of hashes is not
   *     the number of set bits of {@code size}, or a hash is not 32 bytes
   */
  public static CompactRange of(long size, List<byte[]> hashes) {
    requireNonNull(hashes, "hashes");
    if (size < 0) {
      throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
    }
    int expected = Long.bitCount(size);
    if (hashes.size() != expected) {
      throw new IllegalArgumentException(
          "hashes.size(): "
              + hashes.size()
              + " (expected: "
              + expected
              + ", one per set bit of size "
              + size
              + ")");
    }
    ArrayList<byte[]> copy = new ArrayList<>(Math.max(expected, 1));
    for (int i = 0; i < expected; i++) {
      copy.add(MerkleHash.requireHash(hashes.get(i), "hashes[" + i + "]").clone());
    }
    return new CompactRange(size, copy);
  }

  /** The number of leaves covered, {@code [0, size)}. */
  public long size() {
    return size;
  }

  /** The subtree hashes, left to right (largest subtree first); copies. */
  public List<byte[]> hashes() {
    List<byte[]> copy = new ArrayList<>(hashes.size());
    for (byte[] hash : hashes) {
      copy.add(hash.clone());
    }
    return copy;
  }

  /**
   * Appends the leaf with the given leaf hash ({@link MerkleHash#leafHash(byte[])}), merging every
   * pair of equal-size subtrees it completes (binary carry over the bits of {@code size}).
   */
  public void append(byte[] leafHash) {
    byte[] hash = MerkleHash.requireHash(leafHash, "leafHash").clone();
    if (size == Long.MAX_VALUE) {
      throw new IllegalStateException("size: " + size + " (expected: < " + Long.MAX_VALUE + ")");
    }
    // Each set low bit of size is a complete subtree of the same height as the one being carried
    // up, and it is the last (smallest) entry, so merging pops from the end.
    for (long bits = size; (bits & 1) != 0; bits >>>= 1) {
      hash = MerkleHash.nodeHash(hashes.remove(hashes.size() - 1), hash);
    }
    hashes.add(hash);
    size++;
  }

  /** Appends each leaf hash in order. */
  public void appendAll(List<byte[]> leafHashes) {
    requireNonNull(leafHashes, "leafHashes");
    for (byte[] leafHash : leafHashes) {
      append(leafHash);
    }
  }

  /**
   * The RFC 9162 §2.1.1 Merkle tree hash of {@code [0, size)}: MTH splits at the largest power of
   * two below the size, which is exactly the leftmost subtree here, so the root folds the subtree
   * hashes from right to left. The empty tree's root is {@link MerkleHash#emptyRoot()}.
   */
  public byte[] root() {
    return foldRight(hashes);
  }

  /** A copy that can be appended to independently. */
  public CompactRange copy() {
    return of(size, hashes);
  }

  @Override
  public String toString() {
    return "CompactRange[size=" + size + ", subtrees=" + hashes.size() + ']';
  }

  /** RFC 9162 §2.1.1 MTH of consecutive subtrees of strictly decreasing power-of-two sizes. */
  static byte[] foldRight(List<byte[]> subtrees) {
    if (subtrees.isEmpty()) {
      return MerkleHash.emptyRoot();
    }
    byte[] hash = subtrees.get(subtrees.size() - 1).clone();
    for (int i = subtrees.size() - 2; i >= 0; i--) {
      hash = MerkleHash.nodeHash(subtrees.get(i), hash);
    }
    return hash;
  }
}
