package dev.jitgw.audit.tree;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link NodeStore} in a hash map, for tests and for trees rebuilt in memory (offline
 * verification). Arrays are copied in and out so that callers cannot alter stored hashes.
 */
public final class InMemoryNodeStore implements NodeStore {

  private record Address(int level, long index) {}

  // Concurrent so that proofs may be served while the single writer appends.
  private final Map<Address, byte[]> nodes = new ConcurrentHashMap<>();

  @Override
  public byte[] get(int level, long index) {
    MerkleTree.requireNodeAddress(level, index);
    byte[] hash = nodes.get(new Address(level, index));
    return hash == null ? null : hash.clone();
  }

  @Override
  public void put(int level, long index, byte[] hash) {
    MerkleTree.requireNodeAddress(level, index);
    nodes.put(new Address(level, index), MerkleHash.requireHash(hash, "hash").clone());
  }

  /** The number of stored nodes. */
  public int nodeCount() {
    return nodes.size();
  }
}
