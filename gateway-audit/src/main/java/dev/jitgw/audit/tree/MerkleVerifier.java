package dev.jitgw.audit.tree;

import static java.util.Objects.requireNonNull;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Verification of RFC 9162 §2.1 inclusion and consistency proofs, as an independent auditor does
 * it: pure functions of their arguments, no tree or store. Malformed input (hashes that are not 32
 * bytes, sizes out of range, proofs of the wrong length) is a failed verification, never an
 * exception, because proofs and roots come from the party being audited.
 */
public final class MerkleVerifier {

  private MerkleVerifier() {}

  /**
   * Verifies an RFC 9162 §2.1.3.2 inclusion proof: that {@code leafHash} is leaf {@code leafIndex}
   * of the tree of {@code treeSize} leaves whose root is {@code root}.
   */
  public static boolean verifyInclusion(
      byte[] leafHash, long leafIndex, long treeSize, List<byte[]> proof, byte[] root) {
    requireNonNull(leafHash, "leafHash");
    requireNonNull(proof, "proof");
    requireNonNull(root, "root");
    if (!MerkleHash.isHash(leafHash) || !MerkleHash.isHash(root) || !allHashes(proof)) {
      return false;
    }
    // Step 1.
    if (leafIndex < 0 || leafIndex >= treeSize) {
      return false;
    }
    // Steps 2-4: fn is the node's index at the current level, sn that of the last node; their
    // walk up decides at each level whether the proof hash is a left or a right sibling, and when
    // the node is the last one and has no sibling at that level (fn == sn, fn even), skips levels.
    long fn = leafIndex;
    long sn = treeSize - 1;
    byte[] r = leafHash;
    for (byte[] p : proof) {
      if (sn == 0) {
        return false; // more hashes than levels
      }
      if ((fn & 1) != 0 || fn == sn) {
        r = MerkleHash.nodeHash(p, r);
        while (fn != 0 && (fn & 1) == 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      } else {
        r = MerkleHash.nodeHash(r, p);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    // Step 5: fewer hashes than levels leaves sn above 0.
    return sn == 0 && MessageDigest.isEqual(r, root);
  }

  /**
   * Verifies an RFC 9162 §2.1.4.2 consistency proof: that the tree of {@code newSize} leaves with
   * root {@code newRoot} extends the tree of {@code oldSize} leaves with root {@code oldRoot}.
   *
   * <p>RFC 9162 defines proofs for {@code 0 < oldSize < newSize}. For equal sizes the proof must be
   * empty and the roots equal (§2.1.4.1: SUBPROOF(m, D[m], true) is empty). For {@code oldSize} 0
   * the proof must be empty and {@code oldRoot} the empty tree's hash, as RFC 6962 logs do: any
   * tree extends the empty one.
   */
  public static boolean verifyConsistency(
      long oldSize, long newSize, byte[] oldRoot, byte[] newRoot, List<byte[]> proof) {
    requireNonNull(oldRoot, "oldRoot");
    requireNonNull(newRoot, "newRoot");
    requireNonNull(proof, "proof");
    if (!MerkleHash.isHash(oldRoot) || !MerkleHash.isHash(newRoot) || !allHashes(proof)) {
      return false;
    }
    if (oldSize < 0 || newSize < oldSize) {
      return false;
    }
    if (oldSize == 0) {
      return proof.isEmpty()
          && MessageDigest.isEqual(oldRoot, MerkleHash.emptyRoot())
          && (newSize != 0 || MessageDigest.isEqual(newRoot, oldRoot));
    }
    if (oldSize == newSize) {
      return proof.isEmpty() && MessageDigest.isEqual(oldRoot, newRoot);
    }
    // Step 1.
    if (proof.isEmpty()) {
      return false;
    }
    // Step 2: when the old tree is a complete subtree of the new one its root is the first node,
    // which the proof leaves out because the verifier has it.
    List<byte[]> path = proof;
    if ((oldSize & (oldSize - 1)) == 0) {
      path = new ArrayList<>(proof.size() + 1);
      path.add(oldRoot);
      path.addAll(proof);
    }
    // Steps 3-4: skip the levels where the old tree's last node is a right child whose whole
    // subtree is in the old tree; the proof starts at the first node below which they differ.
    long fn = oldSize - 1;
    long sn = newSize - 1;
    while ((fn & 1) != 0) {
      fn >>>= 1;
      sn >>>= 1;
    }
    // Steps 5-6: fr rebuilds the old root and sr the new one from the same path; left siblings
    // feed both, right siblings (nodes only in the new tree) feed only sr.
    byte[] fr = path.get(0);
    byte[] sr = path.get(0);
    for (int i = 1; i < path.size(); i++) {
      byte[] c = path.get(i);
      if (sn == 0) {
        return false; // more hashes than levels
      }
      if ((fn & 1) != 0 || fn == sn) {
        fr = MerkleHash.nodeHash(c, fr);
        sr = MerkleHash.nodeHash(c, sr);
        while (fn != 0 && (fn & 1) == 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      } else {
        sr = MerkleHash.nodeHash(sr, c);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    // Step 7.
    return sn == 0 && MessageDigest.isEqual(fr, oldRoot) && MessageDigest.isEqual(sr, newRoot);
  }

  /**
   * The RFC 9162 §2.1.1 Merkle tree hash of the given leaf hashes in one pass with a stack of at
   * most 64 subtree hashes (a {@link CompactRange}); {@link MerkleHash#emptyRoot()} for none.
   */
  public static byte[] rootFromLeaves(List<byte[]> leafHashes) {
    requireNonNull(leafHashes, "leafHashes");
    CompactRange range = CompactRange.empty();
    range.appendAll(leafHashes);
    return range.root();
  }

  private static boolean allHashes(List<byte[]> hashes) {
    for (byte[] hash : hashes) {
      if (!MerkleHash.isHash(hash)) {
        return false;
      }
    }
    return true;
  }
}
