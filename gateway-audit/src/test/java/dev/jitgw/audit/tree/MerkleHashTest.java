package dev.jitgw.audit.tree;

import static dev.jitgw.audit.tree.TestTrees.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MerkleHashTest {

  @Test
  void leafHashIsSha256OfZeroAndTheRecord() throws Exception {
    byte[] record = {1, 2, 3};
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    byte[] expected = sha256.digest(new byte[] {0, 1, 2, 3});

    assertThat(MerkleHash.leafHash(record)).isEqualTo(expected).hasSize(32);
    // The empty record is leaf 0 of the reference tree: its hash is the size-1 root there.
    assertThat(hex(MerkleHash.leafHash(new byte[0])))
        .isEqualTo("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  }

  @Test
  void nodeHashIsSha256OfOneAndTheChildren() throws Exception {
    byte[] left = MerkleHash.leafHash(new byte[0]);
    byte[] right = MerkleHash.leafHash(new byte[] {0});
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    sha256.update((byte) 1);
    sha256.update(left);
    sha256.update(right);

    assertThat(MerkleHash.nodeHash(left, right)).isEqualTo(sha256.digest());
    assertThat(MerkleHash.nodeHash(left, right)).isNotEqualTo(MerkleHash.nodeHash(right, left));
  }

  @Test
  void nodeHashRejectsWhatIsNotAHash() {
    byte[] hash = MerkleHash.emptyRoot();
    assertThatThrownBy(() -> MerkleHash.nodeHash(new byte[20], hash))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("left.length: 20 (expected: 32)");
    assertThatThrownBy(() -> MerkleHash.nodeHash(hash, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("right");
    assertThatThrownBy(() -> MerkleHash.leafHash(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("record");
  }

  @Test
  void emptyRootIsAFreshCopy() {
    byte[] first = MerkleHash.emptyRoot();
    first[0] ^= 1;

    assertThat(hex(MerkleHash.emptyRoot()))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void hashingFromManyThreadsAgrees() throws Exception {
    List<byte[]> records = IntStream.range(0, 2_000).mapToObj(i -> ("r" + i).getBytes()).toList();
    List<String> expected = records.stream().map(r -> hex(MerkleHash.leafHash(r))).toList();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<String>>> results =
          IntStream.range(0, 4)
              .mapToObj(
                  t ->
                      pool.submit(
                          () -> records.stream().map(r -> hex(MerkleHash.leafHash(r))).toList()))
              .toList();
      for (Future<List<String>> result : results) {
        assertThat(result.get(1, TimeUnit.MINUTES)).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
