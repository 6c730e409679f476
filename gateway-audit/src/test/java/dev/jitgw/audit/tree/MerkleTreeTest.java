package dev.jitgw.audit.tree;

import static dev.jitgw.audit.tree.TestTrees.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Arguments, reopening, corruption and concurrency of {@link MerkleTree}. */
class MerkleTreeTest {

  private final List<byte[]> leaves = TestTrees.leaves(8);
  private final MerkleTree tree = TestTrees.tree(leaves);

  @Test
  void inclusionProofRejectsBadArguments() {
    assertThatThrownBy(() -> tree.inclusionProof(9, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("leafIndex: 9 (expected: < treeSize 8)");
    assertThatThrownBy(() -> tree.inclusionProof(8, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("leafIndex: 8 (expected: < treeSize 8)");
    assertThatThrownBy(() -> tree.inclusionProof(-1, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("leafIndex: -1 (expected: >= 0)");
    assertThatThrownBy(() -> tree.inclusionProof(0, 9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("treeSize: 9 (expected: <= size 8)");
    assertThatThrownBy(() -> tree.inclusionProof(0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("leafIndex: 0 (expected: < treeSize 0)");
  }

  @Test
  void consistencyProofRejectsBadArguments() {
    assertThatThrownBy(() -> tree.consistencyProof(5, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("oldSize: 5 (expected: <= newSize 4)");
    assertThatThrownBy(() -> tree.consistencyProof(-1, 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("oldSize: -1 (expected: >= 0)");
    assertThatThrownBy(() -> tree.consistencyProof(1, 9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("newSize: 9 (expected: <= size 8)");
  }

  @Test
  void rootAndCompactRangeRejectBadSizes() {
    assertThatThrownBy(() -> tree.root(9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("treeSize: 9 (expected: <= size 8)");
    assertThatThrownBy(() -> tree.root(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("treeSize: -1 (expected: >= 0)");
    assertThatThrownBy(() -> MerkleTree.compactRange(tree, 9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("size: 9 (expected: <= size 8)");
    assertThatThrownBy(() -> MerkleTree.open(new InMemoryNodeStore(), -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("size: -1 (expected: >= 0)");
  }

  @Test
  void appendRejectsWhatIsNotAHash() {
    assertThatThrownBy(() -> tree.append(new byte[31]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("leafHash.length: 31 (expected: 32)");
    assertThatThrownBy(() -> tree.append(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("leafHash");
    assertThat(tree.size()).isEqualTo(8);
  }

  @Test
  void emptyAndSameSizeConsistencyProofsAreEmpty() {
    assertThat(tree.consistencyProof(0, 8)).isEmpty();
    assertThat(tree.consistencyProof(0, 0)).isEmpty();
    assertThat(tree.consistencyProof(8, 8)).isEmpty();
    assertThat(tree.consistencyProof(3, 3)).isEmpty();
  }

  @Test
  void appendDoesNotKeepTheCallersArray() {
    MerkleTree fresh = MerkleTree.open(new InMemoryNodeStore(), 0);
    byte[] leaf = leaves.get(0).clone();
    fresh.append(leaf);
    leaf[0] ^= 1;

    assertThat(fresh.root()).isEqualTo(leaves.get(0));
  }

  @Test
  void reopeningContinuesTheSameTree() {
    InMemoryNodeStore store = new InMemoryNodeStore();
    List<byte[]> all = TestTrees.leaves(100);
    TestTrees.tree(store, all.subList(0, 37));

    MerkleTree reopened = MerkleTree.open(store, 37);
    for (byte[] leaf : all.subList(37, 100)) {
      reopened.append(leaf);
    }

    assertThat(reopened.size()).isEqualTo(100);
    assertThat(hex(reopened.root())).isEqualTo(hex(MerkleVerifier.rootFromLeaves(all)));
  }

  @Test
  void openingBeyondTheStoredNodesFails() {
    InMemoryNodeStore store = new InMemoryNodeStore();
    TestTrees.tree(store, leaves.subList(0, 5));

    // Size 6 needs node (1, 2) = leaves [4, 6), which was never completed.
    assertThatThrownBy(() -> MerkleTree.open(store, 6))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("node store has no node (level 1, index 2)");
  }

  @Test
  void aCorruptStoreIsReportedNotHashedAround() {
    NodeStore store =
        new NodeStore() {
          private final InMemoryNodeStore delegate = new InMemoryNodeStore();

          @Override
          public byte[] get(int level, long index) {
            return level == 1 && index == 1 ? new byte[3] : delegate.get(level, index);
          }

          @Override
          public void put(int level, long index, byte[] hash) {
            delegate.put(level, index, hash);
          }
        };
    MerkleTree corrupt = TestTrees.tree(store, leaves);

    assertThatThrownBy(() -> corrupt.inclusionProof(0, 8))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("node (level 1, index 1) is 3 bytes (expected: 32)");
  }

  @Test
  void compactRangeIsOneSubtreePerSetBit() {
    List<byte[]> range = MerkleTree.compactRange(tree, 7);

    // 7 = 4 + 2 + 1: [0, 4), [4, 6), [6, 7).
    assertThat(hex(range))
        .containsExactly(
            hex(MerkleVerifier.rootFromLeaves(leaves.subList(0, 4))),
            hex(MerkleVerifier.rootFromLeaves(leaves.subList(4, 6))),
            hex(leaves.get(6)));
    assertThat(MerkleTree.compactRange(tree, 8)).hasSize(1);
    assertThat(MerkleTree.compactRange(tree, 0)).isEmpty();
  }

  @Test
  void proofsServedDuringAppendsVerify() throws Exception {
    List<byte[]> many = TestTrees.leaves(3_000);
    MerkleTree growing = MerkleTree.open(new InMemoryNodeStore(), 0);
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> checked =
          reader.submit(
              () -> {
                int count = 0;
                // Runs until the writer finishes, then one more pass over the final size.
                boolean last = false;
                while (!last) {
                  last = done.get();
                  long n = growing.size();
                  if (n == 0) {
                    continue;
                  }
                  long m = (count * 7919L) % n;
                  byte[] root = growing.root(n);
                  if (!MerkleVerifier.verifyInclusion(
                      many.get((int) m), m, n, growing.inclusionProof(m, n), root)) {
                    throw new AssertionError("leaf " + m + " in tree " + n);
                  }
                  long old = n / 2;
                  if (!MerkleVerifier.verifyConsistency(
                      old, n, growing.root(old), root, growing.consistencyProof(old, n))) {
                    throw new AssertionError(old + " -> " + n);
                  }
                  count++;
                }
                return count;
              });
      for (byte[] leaf : many) {
        growing.append(leaf);
      }
      done.set(true);

      assertThat(checked.get(1, TimeUnit.MINUTES)).isPositive();
      assertThat(hex(growing.root())).isEqualTo(hex(MerkleVerifier.rootFromLeaves(many)));
    } finally {
      reader.shutdownNow();
    }
  }
}
