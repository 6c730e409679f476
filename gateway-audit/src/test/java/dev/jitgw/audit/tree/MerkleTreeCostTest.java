package dev.jitgw.audit.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The O(log n) bounds, counted at the store: what a RocksDB-backed tree will pay per operation. */
class MerkleTreeCostTest {

  private static final int SIZE = 1_100;

  @Test
  void appendWritesTheLeafAndTheSubtreesItCompletesAndReadsNothing() {
    CountingNodeStore store = new CountingNodeStore(new InMemoryNodeStore());
    MerkleTree tree = MerkleTree.open(store, 0);
    List<byte[]> leaves = TestTrees.leaves(SIZE);
    for (int i = 0; i < SIZE; i++) {
      store.reset();
      List<NodeUpdate> updates = tree.append(leaves.get(i));
      long n = tree.size();

      assertThat(store.writes())
          .as("writes appending leaf %d", i)
          .isLessThanOrEqualTo(1 + log2Floor(n));
      // Exactly the leaf plus one node per trailing one bit of its index.
      assertThat(store.writes()).isEqualTo(1 + Long.numberOfTrailingZeros(n));
      assertThat(updates).hasSize((int) store.writes());
      assertThat(store.reads()).as("reads appending leaf %d", i).isZero();
    }
  }

  @Test
  void appendReturnsExactlyWhatItStores() {
    InMemoryNodeStore store = new InMemoryNodeStore();
    MerkleTree tree = MerkleTree.open(store, 0);
    List<byte[]> leaves = TestTrees.leaves(8);
    for (int i = 0; i < 7; i++) {
      tree.append(leaves.get(i));
    }

    List<NodeUpdate> updates = tree.append(leaves.get(7));

    // Leaf 7 completes [6, 8), [4, 8) and [0, 8).
    assertThat(updates)
        .extracting(NodeUpdate::level, NodeUpdate::index)
        .containsExactly(tuple(0, 7L), tuple(1, 3L), tuple(2, 1L), tuple(3, 0L));
    for (NodeUpdate update : updates) {
      assertThat(store.get(update.level(), update.index())).isEqualTo(update.hash());
    }
    assertThat(updates.get(3).hash()).isEqualTo(tree.root());
    assertThat(store.nodeCount()).isEqualTo(15); // 8 leaves + 4 + 2 + 1
  }

  @Test
  void rootAtAnySizeReadsLogarithmicallyManyNodes() {
    CountingNodeStore store = new CountingNodeStore(new InMemoryNodeStore());
    MerkleTree tree = TestTrees.tree(store, TestTrees.leaves(SIZE));
    for (long n = 1; n <= SIZE; n++) {
      store.reset();
      tree.root(n);
      assertThat(store.reads()).as("reads for root(%d)", n).isLessThanOrEqualTo(bound(n));
      assertThat(store.reads()).as("reads for root(%d)", n).isLessThanOrEqualTo(Long.bitCount(n));

      store.reset();
      MerkleTree.open(store, n).root();
      assertThat(store.reads())
          .as("reads to open at %d and take the root", n)
          .isLessThanOrEqualTo(bound(n));
    }
    store.reset();
    tree.root();
    assertThat(store.reads()).as("the current root comes from memory").isZero();
  }

  @Test
  void proofsReadLogarithmicallyManyNodes() {
    CountingNodeStore store = new CountingNodeStore(new InMemoryNodeStore());
    MerkleTree tree = TestTrees.tree(store, TestTrees.leaves(SIZE));
    Random random = new Random(6962);
    long maxReads = 0;
    for (int round = 0; round < 3_000; round++) {
      long n = 1 + random.nextInt(SIZE);
      long m = random.nextInt((int) n);

      store.reset();
      tree.inclusionProof(m, n);
      assertThat(store.reads()).as("reads for PATH(%d, D[%d])", m, n).isLessThanOrEqualTo(bound(n));
      maxReads = Math.max(maxReads, store.reads());

      store.reset();
      tree.consistencyProof(m, n);
      assertThat(store.reads())
          .as("reads for PROOF(%d, D[%d])", m, n)
          .isLessThanOrEqualTo(bound(n));
    }
    // Sanity: the counter is wired up (a tree of over 1024 leaves needs 10+ hashes per path).
    assertThat(maxReads).isGreaterThanOrEqualTo(10);
  }

  private static long bound(long n) {
    return 2L * log2Ceil(n) + 2;
  }

  private static long log2Floor(long n) {
    return 63 - Long.numberOfLeadingZeros(n);
  }

  private static long log2Ceil(long n) {
    return n == 1 ? 0 : 64 - Long.numberOfLeadingZeros(n - 1);
  }
}
