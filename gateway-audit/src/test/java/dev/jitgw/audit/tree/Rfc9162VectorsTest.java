package dev.jitgw.audit.tree;

import static dev.jitgw.audit.tree.TestTrees.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Certificate Transparency reference tree of 8 leaves (RFC 6962 / RFC 9162 test data as used by
 * Google's certificate-transparency and trillian code bases): roots of every prefix, and inclusion
 * and consistency proofs, checked against the tree and through the verifier.
 */
class Rfc9162VectorsTest {

  /** The records (hex) of the eight leaves. */
  static final List<String> RECORDS =
      List.of(
          "",
          "00",
          "10",
          "2021",
          "3031",
          "40414243",
          "5051525354555657",
          "606162636465666768696a6b6c6d6e6f");

  /** Roots of the prefixes of sizes 1..8. */
  static final List<String> ROOTS =
      List.of(
          "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
          "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
          "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
          "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
          "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
          "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
          "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");

  static final String EMPTY_ROOT =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private List<byte[]> leaves;
  private MerkleTree tree;

  @BeforeEach
  void buildTree() {
    leaves = RECORDS.stream().map(record -> MerkleHash.leafHash(hex(record))).toList();
    tree = TestTrees.tree(leaves);
  }

  @Test
  void emptyRoot() {
    assertThat(hex(MerkleHash.emptyRoot())).isEqualTo(EMPTY_ROOT);
    assertThat(hex(MerkleTree.open(new InMemoryNodeStore(), 0).root())).isEqualTo(EMPTY_ROOT);
    assertThat(hex(tree.root(0))).isEqualTo(EMPTY_ROOT);
    assertThat(hex(MerkleVerifier.rootFromLeaves(List.of()))).isEqualTo(EMPTY_ROOT);
  }

  @Test
  void rootsWhileAppending() {
    MerkleTree growing = MerkleTree.open(new InMemoryNodeStore(), 0);
    List<String> roots = new ArrayList<>();
    for (byte[] leaf : leaves) {
      growing.append(leaf);
      roots.add(hex(growing.root()));
    }
    assertThat(roots).containsExactlyElementsOf(ROOTS);
  }

  @Test
  void rootsOfEveryPrefixFromTheFullTree() {
    List<String> roots = new ArrayList<>();
    for (int size = 1; size <= 8; size++) {
      roots.add(hex(tree.root(size)));
    }
    assertThat(roots).containsExactlyElementsOf(ROOTS);
    assertThat(hex(tree.root())).isEqualTo(ROOTS.get(7));
  }

  @Test
  void rootsOfEveryPrefixFromLeaves() {
    List<String> roots = new ArrayList<>();
    for (int size = 1; size <= 8; size++) {
      roots.add(hex(MerkleVerifier.rootFromLeaves(leaves.subList(0, size))));
    }
    assertThat(roots).containsExactlyElementsOf(ROOTS);
  }

  @Test
  void rootsOfEveryPrefixFromTheReferenceDefinition() {
    List<String> roots = new ArrayList<>();
    for (int size = 1; size <= 8; size++) {
      roots.add(hex(ReferenceMerkle.mth(leaves.subList(0, size))));
    }
    assertThat(roots).containsExactlyElementsOf(ROOTS);
  }

  static Stream<Arguments> inclusionProofs() {
    return Stream.of(
        Arguments.of(
            0,
            8,
            List.of(
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
        Arguments.of(
            5,
            8,
            List.of(
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
        Arguments.of(
            2, 3, List.of("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
        Arguments.of(
            1,
            5,
            List.of(
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
        // A single-leaf tree's root is the leaf: nothing to prove with.
        Arguments.of(0, 1, List.of()));
  }

  @ParameterizedTest(name = "leaf {0} in tree {1}")
  @MethodSource("inclusionProofs")
  void inclusionProof(int leafIndex, int treeSize, List<String> expected) {
    List<byte[]> proof = tree.inclusionProof(leafIndex, treeSize);

    assertThat(hex(proof)).containsExactlyElementsOf(expected);
    assertThat(hex(ReferenceMerkle.path(leafIndex, leaves.subList(0, treeSize))))
        .containsExactlyElementsOf(expected);
    byte[] root = hex(ROOTS.get(treeSize - 1));
    assertThat(
            MerkleVerifier.verifyInclusion(
                leaves.get(leafIndex), leafIndex, treeSize, expectedHashes(expected), root))
        .isTrue();
  }

  static Stream<Arguments> consistencyProofs() {
    return Stream.of(
        Arguments.of(1, 1, List.of()),
        Arguments.of(
            1,
            8,
            List.of(
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
        Arguments.of(
            6,
            8,
            List.of(
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
        Arguments.of(
            2,
            5,
            List.of(
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("consistencyProofs")
  void consistencyProof(int oldSize, int newSize, List<String> expected) {
    List<byte[]> proof = tree.consistencyProof(oldSize, newSize);

    assertThat(hex(proof)).containsExactlyElementsOf(expected);
    if (oldSize < newSize) {
      assertThat(hex(ReferenceMerkle.proof(oldSize, leaves.subList(0, newSize))))
          .containsExactlyElementsOf(expected);
    }
    assertThat(
            MerkleVerifier.verifyConsistency(
                oldSize,
                newSize,
                hex(ROOTS.get(oldSize - 1)),
                hex(ROOTS.get(newSize - 1)),
                expectedHashes(expected)))
        .isTrue();
  }

  @Test
  void reopenedTreeReproducesEveryVector() {
    InMemoryNodeStore store = new InMemoryNodeStore();
    TestTrees.tree(store, leaves);
    MerkleTree reopened = MerkleTree.open(store, 8);

    assertThat(hex(reopened.root())).isEqualTo(ROOTS.get(7));
    assertThat(hex(reopened.inclusionProof(5, 8)))
        .containsExactlyElementsOf(hex(tree.inclusionProof(5, 8)));
    assertThat(hex(reopened.consistencyProof(6, 8)))
        .containsExactlyElementsOf(hex(tree.consistencyProof(6, 8)));
    // A tree reopened at a past size sees that size only.
    MerkleTree past = MerkleTree.open(store, 5);
    assertThat(hex(past.root())).isEqualTo(ROOTS.get(4));
  }

  private static List<byte[]> expectedHashes(List<String> hexes) {
    return hexes.stream().map(TestTrees::hex).toList();
  }
}
