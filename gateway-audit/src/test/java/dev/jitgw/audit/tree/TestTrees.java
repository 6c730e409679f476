package dev.jitgw.audit.tree;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Leaves and trees shared by the tests. */
final class TestTrees {

  private static final HexFormat HEX = HexFormat.of();

  private TestTrees() {}

  static byte[] hex(String hex) {
    return HEX.parseHex(hex);
  }

  static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  static List<String> hex(List<byte[]> hashes) {
    return hashes.stream().map(TestTrees::hex).toList();
  }

  /** Distinct leaf hashes (the index is in the record), so a wrong index can never verify. */
  static List<byte[]> leaves(int count) {
    List<byte[]> leaves = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      leaves.add(MerkleHash.leafHash(("record " + i).getBytes(StandardCharsets.UTF_8)));
    }
    return leaves;
  }

  static MerkleTree tree(NodeStore store, List<byte[]> leaves) {
    MerkleTree tree = MerkleTree.open(store, 0);
    for (byte[] leaf : leaves) {
      tree.append(leaf);
    }
    return tree;
  }

  static MerkleTree tree(List<byte[]> leaves) {
    return tree(new InMemoryNodeStore(), leaves);
  }

  static byte[] flipped(byte[] hash, int position) {
    byte[] copy = hash.clone();
    copy[position] ^= 0x01;
    return copy;
  }
}
