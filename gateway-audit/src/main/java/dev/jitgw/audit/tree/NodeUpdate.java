package dev.jitgw.audit.tree;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A complete-subtree hash written by {@link MerkleTree#append(byte[])}, returned so that the caller
 * can persist it in the same write batch as the leaf's record.
 *
 * @param level the subtree height, 0 for a leaf
 * @param index the subtree's position at its level: it covers leaves {@code [index * 2^level,
 *     (index + 1) * 2^level)}
 * @param hash the subtree's 32-byte hash; copied in and out
 */
public record NodeUpdate(int level, long index, byte[] hash) {

  public NodeUpdate {
    MerkleTree.requireNodeAddress(level, index);
    hash = MerkleHash.requireHash(hash, "hash").clone();
  }

  @Override
  public byte[] hash() {
    return hash.clone();
  }

  // Records compare arrays by identity; two updates are the same when their bytes are.
  @Override
  public boolean equals(Object obj) {
    return obj instanceof NodeUpdate that
        && level == that.level
        && index == that.index
        && Arrays.equals(hash, that.hash);
  }

  @Override
  public int hashCode() {
    return (31 * Integer.hashCode(level) + Long.hashCode(index)) * 31 + Arrays.hashCode(hash);
  }

  @Override
  public String toString() {
    return "NodeUpdate[level="
        + level
        + ", index="
        + index
        + ", hash="
        + HexFormat.of().formatHex(hash)
        + ']';
  }
}
