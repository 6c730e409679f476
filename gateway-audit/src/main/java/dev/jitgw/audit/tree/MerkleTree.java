package dev.jitgw.audit.tree;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * The RFC 9162 §2.1 Merkle tree of an append-only log of {@link #size()} leaves, kept as the hashes
 * of its complete subtrees in a {@link NodeStore}.
 *
 * <p>Complete subtrees never change once their last leaf is appended, so every root and proof at
 * any past tree size can be assembled from O(log n) stored nodes: the tree of size {@code m} is
 * tiled by one complete subtree per set bit of {@code m} (its compact range), and the RFC 9162
 * recursions only ever descend into complete subtrees or into the right edge of such a tiling.
 * Appends write the leaf plus the at most {@code log2 n} subtrees it completes, and read nothing:
 * the compact range of the current size is kept in memory.
 *
 * <p>Thread-safety: {@link #append(byte[])} is serialized; roots and proofs may be computed
 * concurrently with appends (they read a consistent size and only complete, hence immutable,
 * subtrees), provided the {@link NodeStore} allows concurrent reads and writes.
 */
public final class MerkleTree {

  /**
   * The deepest level a node may have: a tree of at most {@link Long#MAX_VALUE} leaves has no
   * complete subtree of {@code 2^63} leaves.
   */
  static final int MAX_LEVEL = 62;

  /**
   * A size and its compact range, published together so readers never see one without the other.
   */
  private record State(long size, List<byte[]> frontier) {}

  private final NodeStore store;
  private volatile State state;

  private MerkleTree(NodeStore store, State state) {
    this.store = store;
    this.state = state;
  }

  /**
   * Opens the tree of {@code size} leaves whose complete subtrees are in {@code store}, reading the
   * O(log n) nodes of its compact range.
   *
   * @throws IllegalArgumentException if {@code size} is negative
   * @throws IllegalStateException if the store lacks a node the tree of that size must have
   */
  public static MerkleTree open(NodeStore store, long size) {
    requireNonNull(store, "store");
    if (size < 0) {
      throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
    }
    return new MerkleTree(store, new State(size, List.copyOf(readCompactRange(store, 0, size))));
  }

  /**
   * The compact range of {@code [0, size)}: the hashes of the complete subtrees that tile the
   * prefix, left to right (see {@link CompactRange}). An export starting at leaf {@code size}
   * carries these so a verifier can recompute every later root without the earlier leaves.
   *
   * @throws IllegalArgumentException if {@code size} is negative or greater than the tree's size
   */
  public static List<byte[]> compactRange(MerkleTree tree, long size) {
    requireNonNull(tree, "tree");
    State state = tree.state;
    requireTreeSize("size", size, state.size);
    List<byte[]> hashes =
        size == state.size ? state.frontier : readCompactRange(tree.store, 0, size);
    List<byte[]> copy = new ArrayList<>(hashes.size());
    for (byte[] hash : hashes) {
      copy.add(hash.clone());
    }
    return copy;
  }

  /** The number of leaves. */
  public long size() {
    return state.size;
  }

  /**
   * Appends a leaf and stores it with every subtree it completes: leaf {@code n} completes the
   * subtree of height {@code h} for each of the {@code h} trailing one bits of {@code n}, so an
   * append writes {@code 1 + trailingOnes(n) <= 1 + floor(log2(n + 1))} nodes and reads none.
   *
   * @param leafHash the RFC 9162 §2.1.1 leaf hash, {@link MerkleHash#leafHash(byte[])} of the
   *     record
   * @return the nodes written, leaf first, so the caller can persist them in the same batch as the
   *     record
   */
  public synchronized List<NodeUpdate> append(byte[] leafHash) {
    byte[] hash = MerkleHash.requireHash(leafHash, "leafHash").clone();
    State current = state;
    long size = current.size;
    if (size == Long.MAX_VALUE) {
      throw new IllegalStateException("size: " + size + " (expected: < " + Long.MAX_VALUE + ")");
    }
    List<byte[]> frontier = new ArrayList<>(current.frontier);
    List<NodeUpdate> updates = new ArrayList<>();
    int level = 0;
    long index = size;
    store.put(level, index, hash);
    updates.add(new NodeUpdate(level, index, hash));
    // An odd index is a right child whose left sibling, of the same height, is the last subtree of
    // the compact range; together they complete their parent.
    while ((index & 1) != 0) {
      hash = MerkleHash.nodeHash(frontier.remove(frontier.size() - 1), hash);
      level++;
      index >>>= 1;
      store.put(level, index, hash);
      updates.add(new NodeUpdate(level, index, hash));
    }
    frontier.add(hash);
    // Publish only after the store has every node of the new size, so a reader that sees it can
    // build any proof up to it.
    state = new State(size + 1, List.copyOf(frontier));
    return List.copyOf(updates);
  }

  /** The RFC 9162 §2.1.1 Merkle tree hash of all {@link #size()} leaves, without store reads. */
  public byte[] root() {
    return CompactRange.foldRight(state.frontier);
  }

  /**
   * The RFC 9162 §2.1.1 Merkle tree hash MTH(D[0:treeSize]) of the first {@code treeSize} leaves,
   * from the {@code bitCount(treeSize)} complete subtrees that tile them; {@link
   * MerkleHash#emptyRoot()} for 0.
   *
   * @throws IllegalArgumentException if {@code treeSize} is negative or greater than {@link
   *     #size()}
   */
  public byte[] root(long treeSize) {
    State current = state;
    requireTreeSize("treeSize", treeSize, current.size);
    if (treeSize == current.size) {
      return CompactRange.foldRight(current.frontier);
    }
    return subtreeHash(0, treeSize);
  }

  /**
   * The RFC 9162 §2.1.3.1 inclusion proof PATH(leafIndex, D[0:treeSize]): the sibling hashes from
   * the leaf up to the root, at most {@code ceil(log2(treeSize))} of them, read from O(log n)
   * nodes.
   *
   * @throws IllegalArgumentException if {@code treeSize} is greater than {@link #size()}, or {@code
   *     leafIndex} is negative or not below {@code treeSize}
   */
  public List<byte[]> inclusionProof(long leafIndex, long treeSize) {
    requireTreeSize("treeSize", treeSize, state.size);
    if (leafIndex < 0) {
      throw new IllegalArgumentException("leafIndex: " + leafIndex + " (expected: >= 0)");
    }
    if (leafIndex >= treeSize) {
      throw new IllegalArgumentException(
          "leafIndex: " + leafIndex + " (expected: < treeSize " + treeSize + ")");
    }
    List<byte[]> proof = new ArrayList<>();
    path(leafIndex, 0, treeSize, proof);
    return proof;
  }

  /**
   * The RFC 9162 §2.1.4.1 consistency proof PROOF(oldSize, D[0:newSize]) = SUBPROOF(oldSize,
   * D[0:newSize], true), read from O(log n) nodes. It is empty when {@code oldSize == newSize} (RFC
   * 9162 §2.1.4.1) and, by the convention of RFC 6962 logs, when {@code oldSize} is 0: every tree
   * extends the empty one.
   *
   * @throws IllegalArgumentException if {@code newSize} is greater than {@link #size()}, or {@code
   *     oldSize} is negative or greater than {@code newSize}
   */
  public List<byte[]> consistencyProof(long oldSize, long newSize) {
    requireTreeSize("newSize", newSize, state.size);
    if (oldSize < 0) {
      throw new IllegalArgumentException("oldSize: " + oldSize + " (expected: >= 0)");
    }
    if (oldSize > newSize) {
      throw new IllegalArgumentException(
          "oldSize: " + oldSize + " (expected: <= newSize " + newSize + ")");
    }
    List<byte[]> proof = new ArrayList<>();
    if (oldSize != 0 && oldSize != newSize) {
      subproof(oldSize, 0, newSize, true, proof);
    }
    return proof;
  }

  @Override
  public String toString() {
    return "MerkleTree[size=" + state.size + ']';
  }

  /**
   * RFC 9162 §2.1.3.1 PATH(m, D[start:end]) with {@code m} absolute: for the largest power of two
   * {@code k < end - start}, the path in the half holding {@code m} followed by the hash of the
   * other half. Recursion depth is at most 63.
   */
  private void path(long m, long start, long end, List<byte[]> proof) {
    if (end - start == 1) {
      return;
    }
    long k = largestPowerOfTwoBelow(end - start);
    if (m < start + k) {
      path(m, start, start + k, proof);
      proof.add(subtreeHash(start + k, end));
    } else {
      path(m, start + k, end, proof);
      proof.add(subtreeHash(start, start + k));
    }
  }

  /**
   * RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b) with {@code m} relative to {@code start}, {@code
   * 0 < m <= end - start}. {@code known} is b: whether MTH(D[start:start + m]) is the old root the
   * verifier already has, in which case it is left out.
   */
  private void subproof(long m, long start, long end, boolean known, List<byte[]> proof) {
    long n = end - start;
    if (m == n) {
      if (!known) {
        proof.add(subtreeHash(start, end));
      }
      return;
    }
    long k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      subproof(m, start, start + k, known, proof);
      proof.add(subtreeHash(start + k, end));
    } else {
      subproof(m - k, start + k, end, false, proof);
      proof.add(subtreeHash(start, start + k));
    }
  }

  /**
   * MTH(D[start:end]) for a range the RFC 9162 recursions produce: {@code start} is a multiple of
   * the smallest power of two {@code >= end - start}, so the range is tiled by one complete subtree
   * per set bit of its length, largest first (a single node when the range is complete).
   */
  private byte[] subtreeHash(long start, long end) {
    return CompactRange.foldRight(readCompactRange(store, start, end));
  }

  /** The complete subtrees tiling the aligned range {@code [start, end)}, left to right. */
  private static List<byte[]> readCompactRange(NodeStore store, long start, long end) {
    long length = end - start;
    List<byte[]> hashes = new ArrayList<>(Long.bitCount(length));
    long position = start;
    for (int level = 63 - Long.numberOfLeadingZeros(length); level >= 0; level--) {
      if ((length & (1L << level)) != 0) {
        hashes.add(readNode(store, level, position >>> level));
        position += 1L << level;
      }
    }
    return hashes;
  }

  private static byte[] readNode(NodeStore store, int level, long index) {
    byte[] hash = store.get(level, index);
    // A missing or malformed complete subtree means the store and the size disagree (lost writes
    // or corruption); a root computed around it would be silently wrong.
    if (hash == null) {
      throw new IllegalStateException(
          "node store has no node (level " + level + ", index " + index + ")");
    }
    if (hash.length != MerkleHash.HASH_LENGTH) {
      throw new IllegalStateException(
          "node (level "
              + level
              + ", index "
              + index
              + ") is "
              + hash.length
              + " bytes (expected: "
              + MerkleHash.HASH_LENGTH
              + ")");
    }
    return hash;
  }

  /** The largest power of two strictly less than {@code n}, the RFC 9162 §2.1.1 split point. */
  private static long largestPowerOfTwoBelow(long n) {
    return Long.highestOneBit(n - 1);
  }

  private static void requireTreeSize(String name, long treeSize, long size) {
    if (treeSize < 0) {
      throw new IllegalArgumentException(name + ": " + treeSize + " (expected: >= 0)");
    }
    if (treeSize > size) {
      throw new IllegalArgumentException(
          name + ": " + treeSize + " (expected: <= size " + size + ")");
    }
  }

  /** Checks a node address: level {@code 0..62}, index such that its leaves fit a long. */
  static void requireNodeAddress(int level, long index) {
    if (level < 0 || level > MAX_LEVEL) {
      throw new IllegalArgumentException("level: " + level + " (expected: 0.." + MAX_LEVEL + ")");
    }
    long maxIndex = Long.MAX_VALUE >>> level;
    if (index < 0 || index > maxIndex) {
      throw new IllegalArgumentException(
          "index: " + index + " (expected: 0.." + maxIndex + " at level " + level + ")");
    }
  }
}
