package dev.jitgw.audit.tree;

/**
 * Where a {@link MerkleTree} keeps the hashes of its complete subtrees.
 *
 * <p>Node {@code (level, index)} is the RFC 9162 §2.1.1 Merkle tree hash of the {@code 2^level}
 * leaves {@code [index * 2^level, (index + 1) * 2^level)}; level 0 holds the leaf hashes. Only
 * complete subtrees are stored: once written, a complete subtree's hash never changes however the
 * log grows, which is what makes an append-only store of them sufficient for the root and for
 * proofs at every past tree size. The hashes of the incomplete right edge are recomputed on demand
 * from O(log n) complete ones.
 *
 * <p>Implementations must be safe for reads concurrent with the single writer, and must tolerate a
 * node being written again with the same hash.
 */
public interface NodeStore {

  /**
   * Returns the hash of node {@code (level, index)}, or {@code null} if it has not been written.
   * The caller may not modify the returned array unless the implementation copies.
   */
  byte[] get(int level, long index);

  /** Stores the 32-byte {@code hash} of the complete subtree {@code (level, index)}. */
  void put(int level, long index, byte[] hash);
}
