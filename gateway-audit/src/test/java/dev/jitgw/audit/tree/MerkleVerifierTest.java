package dev.jitgw.audit.tree;

import static dev.jitgw.audit.tree.TestTrees.flipped;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Malformed and edge-case input to the verifier: failures, never exceptions, except for nulls. */
class MerkleVerifierTest {

  private final List<byte[]> leaves = TestTrees.leaves(8);
  private final MerkleTree tree = TestTrees.tree(leaves);
  private final byte[] root = tree.root();

  @Test
  void inclusionFailsForIndicesOutsideTheTree() {
    List<byte[]> proof = tree.inclusionProof(7, 8);
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(7), 7, 8, proof, root)).isTrue();

    assertThat(MerkleVerifier.verifyInclusion(leaves.get(7), 8, 8, proof, root)).isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(7), -1, 8, proof, root)).isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(7), 0, 0, List.of(), root)).isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(7), 7, -8, proof, root)).isFalse();
  }

  @Test
  void inclusionFailsForMalformedHashes() {
    List<byte[]> proof = tree.inclusionProof(2, 8);
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(2), 2, 8, proof, root)).isTrue();

    List<byte[]> truncatedElement = new ArrayList<>(proof);
    truncatedElement.set(1, Arrays.copyOf(proof.get(1), 31));
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(2), 2, 8, truncatedElement, root))
        .isFalse();
    List<byte[]> nullElement = new ArrayList<>(proof);
    nullElement.set(0, null);
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(2), 2, 8, nullElement, root)).isFalse();
    assertThat(MerkleVerifier.verifyInclusion(Arrays.copyOf(leaves.get(2), 33), 2, 8, proof, root))
        .isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(2), 2, 8, proof, new byte[0])).isFalse();
  }

  @Test
  void singleLeafTreeNeedsAnEmptyProof() {
    byte[] leaf = leaves.get(0);

    assertThat(MerkleVerifier.verifyInclusion(leaf, 0, 1, List.of(), leaf)).isTrue();
    assertThat(MerkleVerifier.verifyInclusion(leaf, 0, 1, List.of(leaf), leaf)).isFalse();
    assertThat(MerkleVerifier.verifyInclusion(leaf, 0, 1, List.of(), flipped(leaf, 5))).isFalse();
  }

  @Test
  void leafHashIsNotAcceptedAsAnInteriorNode() {
    // The 0x00/0x01 prefixes of RFC 9162 §2.1.1: the interior node over leaves 0 and 1 is not the
    // leaf hash of their concatenation, so a subtree cannot be passed off as a leaf.
    byte[] node01 = MerkleHash.nodeHash(leaves.get(0), leaves.get(1));
    byte[] concatenated = new byte[64];
    System.arraycopy(leaves.get(0), 0, concatenated, 0, 32);
    System.arraycopy(leaves.get(1), 0, concatenated, 32, 32);

    assertThat(MerkleHash.leafHash(concatenated)).isNotEqualTo(node01);
    assertThat(MerkleVerifier.verifyInclusion(node01, 0, 4, List.of(tree.root(4)), root)).isFalse();
  }

  @Test
  void consistencyWithTheEmptyTree() {
    byte[] empty = MerkleHash.emptyRoot();

    assertThat(MerkleVerifier.verifyConsistency(0, 8, empty, root, List.of())).isTrue();
    assertThat(MerkleVerifier.verifyConsistency(0, 0, empty, empty, List.of())).isTrue();
    assertThat(MerkleVerifier.verifyConsistency(0, 8, empty, root, List.of(root))).isFalse();
    assertThat(MerkleVerifier.verifyConsistency(0, 8, root, root, List.of())).isFalse();
    assertThat(MerkleVerifier.verifyConsistency(0, 0, empty, root, List.of())).isFalse();
  }

  @Test
  void consistencyBetweenEqualSizes() {
    assertThat(MerkleVerifier.verifyConsistency(8, 8, root, root, List.of())).isTrue();
    assertThat(MerkleVerifier.verifyConsistency(8, 8, root, flipped(root, 0), List.of())).isFalse();
    assertThat(MerkleVerifier.verifyConsistency(8, 8, root, root, List.of(root))).isFalse();
  }

  @Test
  void consistencyFailsForBadSizesAndMalformedHashes() {
    byte[] oldRoot = tree.root(5);
    List<byte[]> proof = tree.consistencyProof(5, 8);
    assertThat(MerkleVerifier.verifyConsistency(5, 8, oldRoot, root, proof)).isTrue();

    assertThat(MerkleVerifier.verifyConsistency(8, 5, oldRoot, root, proof)).isFalse();
    assertThat(MerkleVerifier.verifyConsistency(-5, 8, oldRoot, root, proof)).isFalse();
    assertThat(MerkleVerifier.verifyConsistency(5, 8, oldRoot, root, List.of())).isFalse();
    assertThat(MerkleVerifier.verifyConsistency(5, 8, Arrays.copyOf(oldRoot, 31), root, proof))
        .isFalse();
    List<byte[]> longElement = new ArrayList<>(proof);
    longElement.set(0, Arrays.copyOf(proof.get(0), 64));
    assertThat(MerkleVerifier.verifyConsistency(5, 8, oldRoot, root, longElement)).isFalse();
  }

  @Test
  void rootsDoNotCommitToTheTreeSize() {
    // RFC 9162 proofs authenticate hashes, not sizes: the only size check in §2.1.3.2 and
    // §2.1.4.2 is that the path runs out exactly at the root (sn == 0), so sizes whose paths have
    // the same shape are interchangeable. The size must come from the signed checkpoint that
    // carries the root, never from whoever supplies the proof.
    List<byte[]> consistency = tree.consistencyProof(2, 5);
    assertThat(MerkleVerifier.verifyConsistency(2, 5, tree.root(2), tree.root(5), consistency))
        .isTrue();
    assertThat(MerkleVerifier.verifyConsistency(2, 6, tree.root(2), tree.root(5), consistency))
        .isTrue();
    assertThat(MerkleVerifier.verifyConsistency(2, 6, tree.root(2), tree.root(6), consistency))
        .isFalse();

    List<byte[]> inclusion = tree.inclusionProof(0, 3);
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(0), 0, 4, inclusion, tree.root(3)))
        .isTrue();
    assertThat(MerkleVerifier.verifyInclusion(leaves.get(0), 0, 4, inclusion, tree.root(4)))
        .isFalse();
  }

  @Test
  void nullArgumentsAreProgrammingErrors() {
    assertThatThrownBy(() -> MerkleVerifier.verifyInclusion(null, 0, 1, List.of(), root))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("leafHash");
    assertThatThrownBy(() -> MerkleVerifier.verifyConsistency(1, 2, root, root, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("proof");
    assertThatThrownBy(() -> MerkleVerifier.rootFromLeaves(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("leafHashes");
  }
}
