package dev.jitgw.audit.tree;

import static dev.jitgw.audit.tree.TestTrees.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class CompactRangeTest {

  private final List<byte[]> leaves = TestTrees.leaves(13);

  @Test
  void holdsOneSubtreePerSetBitOfTheSize() {
    CompactRange range = CompactRange.empty();
    for (int i = 0; i < leaves.size(); i++) {
      range.append(leaves.get(i));
      assertThat(range.size()).isEqualTo(i + 1);
      assertThat(range.hashes()).hasSize(Integer.bitCount(i + 1));
    }
    // 13 = 8 + 4 + 1.
    assertThat(hex(range.hashes()))
        .containsExactly(
            hex(MerkleVerifier.rootFromLeaves(leaves.subList(0, 8))),
            hex(MerkleVerifier.rootFromLeaves(leaves.subList(8, 12))),
            hex(leaves.get(12)));
    assertThat(hex(range.root())).isEqualTo(hex(ReferenceMerkle.mth(leaves)));
  }

  @Test
  void emptyRangeHasTheEmptyRoot() {
    assertThat(CompactRange.empty().root()).isEqualTo(MerkleHash.emptyRoot());
    assertThat(CompactRange.of(0, List.of()).hashes()).isEmpty();
  }

  @Test
  void copiesAreIndependent() {
    CompactRange range = CompactRange.empty();
    range.appendAll(leaves.subList(0, 5));
    CompactRange copy = range.copy();

    copy.append(leaves.get(5));

    assertThat(range.size()).isEqualTo(5);
    assertThat(hex(range.root())).isEqualTo(hex(ReferenceMerkle.mth(leaves.subList(0, 5))));
    assertThat(hex(copy.root())).isEqualTo(hex(ReferenceMerkle.mth(leaves.subList(0, 6))));
  }

  @Test
  void hashesAreCopiedOut() {
    CompactRange range = CompactRange.empty();
    range.append(leaves.get(0));
    range.hashes().get(0)[0] ^= 1;

    assertThat(range.root()).isEqualTo(leaves.get(0));
  }

  @Test
  void rejectsAHashCountThatDoesNotMatchTheSize() {
    assertThatThrownBy(() -> CompactRange.of(6, List.of(leaves.get(0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hashes.size(): 1 (expected: 2, one per set bit of size 6)");
    assertThatThrownBy(() -> CompactRange.of(-1, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("size: -1 (expected: >= 0)");
    assertThatThrownBy(() -> CompactRange.of(1, List.of(new byte[8])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hashes[0].length: 8 (expected: 32)");
  }
}
