package dev.jitgw.audit.tree;

import static dev.jitgw.audit.tree.TestTrees.flipped;
import static dev.jitgw.audit.tree.TestTrees.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Properties over many tree sizes, with a seeded {@link Random} so failures reproduce: proofs the
 * tree serves verify, tampered ones do not, and everything matches the literal RFC 9162
 * definitions.
 */
class MerkleTreePropertyTest {

  private static final int MAX_SIZE = 300;
  private static final long SEED = 0x9162_2021L;

  private static List<byte[]> leaves;
  private static MerkleTree tree;
  private static List<byte[]> roots; // roots.get(n) is MTH of the first n leaves

  @BeforeAll
  static void buildTree() {
    leaves = TestTrees.leaves(MAX_SIZE);
    tree = TestTrees.tree(leaves);
    roots = new ArrayList<>();
    for (int n = 0; n <= MAX_SIZE; n++) {
      roots.add(ReferenceMerkle.mth(leaves.subList(0, n)));
    }
  }

  @Test
  void rootsAtEverySizeMatchTheDefinition() {
    for (int n = 0; n <= MAX_SIZE; n++) {
      assertThat(hex(tree.root(n))).as("root(%d)", n).isEqualTo(hex(roots.get(n)));
      assertThat(hex(MerkleVerifier.rootFromLeaves(leaves.subList(0, n))))
          .as("rootFromLeaves(%d)", n)
          .isEqualTo(hex(roots.get(n)));
    }
  }

  @Test
  void inclusionProofsMatchTheDefinitionForSmallTrees() {
    for (int n = 1; n <= 64; n++) {
      for (int m = 0; m < n; m++) {
        assertThat(hex(tree.inclusionProof(m, n)))
            .as("PATH(%d, D[%d])", m, n)
            .containsExactlyElementsOf(hex(ReferenceMerkle.path(m, leaves.subList(0, n))));
      }
    }
  }

  @Test
  void consistencyProofsMatchTheDefinitionForSmallTrees() {
    for (int n = 1; n <= 64; n++) {
      for (int m = 1; m < n; m++) {
        assertThat(hex(tree.consistencyProof(m, n)))
            .as("PROOF(%d, D[%d])", m, n)
            .containsExactlyElementsOf(hex(ReferenceMerkle.proof(m, leaves.subList(0, n))));
      }
    }
  }

  @Test
  void everyInclusionProofVerifiesAndTamperingFails() {
    Random random = new Random(SEED);
    for (int round = 0; round < 40; round++) {
      int n = 1 + random.nextInt(MAX_SIZE);
      byte[] root = roots.get(n);
      for (int m = 0; m < n; m++) {
        List<byte[]> proof = tree.inclusionProof(m, n);
        assertThat(MerkleVerifier.verifyInclusion(leaves.get(m), m, n, proof, root))
            .as("leaf %d in tree %d", m, n)
            .isTrue();
        if (n == 1) {
          continue;
        }
        int wrongIndex = (m + 1 + random.nextInt(n - 1)) % n;
        assertThat(MerkleVerifier.verifyInclusion(leaves.get(m), wrongIndex, n, proof, root))
            .as("leaf %d claimed at %d in tree %d", m, wrongIndex, n)
            .isFalse();
        assertThat(MerkleVerifier.verifyInclusion(leaves.get(wrongIndex), m, n, proof, root))
            .as("another leaf at %d in tree %d", m, n)
            .isFalse();
        int otherSize = 1 + random.nextInt(MAX_SIZE);
        if (!hex(roots.get(otherSize)).equals(hex(root))) {
          assertThat(
                  MerkleVerifier.verifyInclusion(leaves.get(m), m, n, proof, roots.get(otherSize)))
              .as("leaf %d in tree %d against root %d", m, n, otherSize)
              .isFalse();
        }
        int element = random.nextInt(proof.size());
        assertThat(
                MerkleVerifier.verifyInclusion(
                    leaves.get(m),
                    m,
                    n,
                    withFlippedByte(proof, element, random.nextInt(MerkleHash.HASH_LENGTH)),
                    root))
            .as("leaf %d in tree %d with element %d flipped", m, n, element)
            .isFalse();
        assertThat(
                MerkleVerifier.verifyInclusion(
                    leaves.get(m), m, n, proof.subList(0, proof.size() - 1), root))
            .as("leaf %d in tree %d with the last element dropped", m, n)
            .isFalse();
        assertThat(MerkleVerifier.verifyInclusion(leaves.get(m), m, n, appended(proof), root))
            .as("leaf %d in tree %d with an extra element", m, n)
            .isFalse();
      }
    }
  }

  @Test
  void everyConsistencyProofVerifiesAndTamperingFails() {
    Random random = new Random(SEED + 1);
    int verified = 0;
    for (int round = 0; round < 2_000; round++) {
      int n = 1 + random.nextInt(MAX_SIZE);
      int m = random.nextInt(n + 1);
      List<byte[]> proof = tree.consistencyProof(m, n);
      byte[] oldRoot = roots.get(m);
      byte[] newRoot = roots.get(n);
      assertThat(MerkleVerifier.verifyConsistency(m, n, oldRoot, newRoot, proof))
          .as("%d -> %d", m, n)
          .isTrue();
      verified++;
      if (m == 0 || m == n) {
        assertThat(proof).as("%d -> %d", m, n).isEmpty();
        continue;
      }
      assertThat(MerkleVerifier.verifyConsistency(m, n, flipped(oldRoot, 0), newRoot, proof))
          .as("%d -> %d with a wrong old root", m, n)
          .isFalse();
      assertThat(MerkleVerifier.verifyConsistency(m, n, oldRoot, flipped(newRoot, 31), proof))
          .as("%d -> %d with a wrong new root", m, n)
          .isFalse();
      int element = random.nextInt(proof.size());
      assertThat(
              MerkleVerifier.verifyConsistency(
                  m,
                  n,
                  oldRoot,
                  newRoot,
                  withFlippedByte(proof, element, random.nextInt(MerkleHash.HASH_LENGTH))))
          .as("%d -> %d with element %d flipped", m, n, element)
          .isFalse();
      assertThat(
              MerkleVerifier.verifyConsistency(
                  m, n, oldRoot, newRoot, proof.subList(0, proof.size() - 1)))
          .as("%d -> %d with the last element dropped", m, n)
          .isFalse();
      assertThat(MerkleVerifier.verifyConsistency(m, n, oldRoot, newRoot, appended(proof)))
          .as("%d -> %d with an extra element", m, n)
          .isFalse();
      // The proof binds the old size (fr must rebuild oldRoot along the path m's bits dictate);
      // it does not bind the new size, see MerkleVerifierTest#rootsDoNotCommitToTheTreeSize.
      assertThat(MerkleVerifier.verifyConsistency(m - 1, n, oldRoot, newRoot, proof))
          .as("%d -> %d claimed as %d -> %d", m, n, m - 1, n)
          .isFalse();
      if (m + 1 < n) {
        assertThat(MerkleVerifier.verifyConsistency(m + 1, n, oldRoot, newRoot, proof))
            .as("%d -> %d claimed as %d -> %d", m, n, m + 1, n)
            .isFalse();
      }
    }
    assertThat(verified).isEqualTo(2_000);
  }

  @Test
  void compactRangeOfAPrefixPlusTheRestReproducesEveryLaterRoot() {
    Random random = new Random(SEED + 2);
    for (int round = 0; round < 200; round++) {
      int n = random.nextInt(MAX_SIZE + 1);
      int k = random.nextInt(n + 1);
      List<byte[]> prefix = MerkleTree.compactRange(tree, k);
      assertThat(prefix).hasSize(Integer.bitCount(k));

      CompactRange range = CompactRange.of(k, prefix);
      assertThat(hex(range.root())).as("root of prefix %d", k).isEqualTo(hex(roots.get(k)));
      for (int i = k; i < n; i++) {
        range.append(leaves.get(i));
        assertThat(hex(range.root()))
            .as("prefix %d plus leaves up to %d", k, i + 1)
            .isEqualTo(hex(roots.get(i + 1)));
      }
      assertThat(range.size()).isEqualTo(n);
      // What the range ends with is what the tree reports for that prefix.
      assertThat(hex(range.hashes()))
          .containsExactlyElementsOf(hex(MerkleTree.compactRange(tree, n)));
    }
  }

  @Test
  void proofsAtPastSizesStayValidAsTheTreeGrows() {
    // Proofs are served from a larger tree for a smaller treeSize: the RFC 9162 tree at n is the
    // same whatever was appended after it.
    InMemoryNodeStore store = new InMemoryNodeStore();
    MerkleTree growing = MerkleTree.open(store, 0);
    Random random = new Random(SEED + 3);
    for (int n = 1; n <= MAX_SIZE; n++) {
      growing.append(leaves.get(n - 1));
      int past = 1 + random.nextInt(n);
      int m = random.nextInt(past);
      assertThat(
              MerkleVerifier.verifyInclusion(
                  leaves.get(m), m, past, growing.inclusionProof(m, past), roots.get(past)))
          .as("leaf %d in tree %d served at size %d", m, past, n)
          .isTrue();
      assertThat(
              MerkleVerifier.verifyConsistency(
                  past, n, roots.get(past), growing.root(), growing.consistencyProof(past, n)))
          .as("%d -> %d", past, n)
          .isTrue();
    }
  }

  private static List<byte[]> withFlippedByte(List<byte[]> proof, int element, int position) {
    List<byte[]> copy = new ArrayList<>(proof);
    copy.set(element, flipped(proof.get(element), position));
    return copy;
  }

  private static List<byte[]> appended(List<byte[]> proof) {
    List<byte[]> copy = new ArrayList<>(proof);
    copy.add(leaves.get(0));
    return copy;
  }
}
