package dev.jitgw.audit.store;

import dev.jitgw.audit.tree.NodeStore;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.RocksDBException;

/**
 * The Merkle tree's nodes in the store's {@code nodes} column family, with an overlay of the nodes
 * of the batch being written: the tree writes them here as it appends, the writer puts them in the
 * same {@code WriteBatch} as their records, and the overlay is cleared once the batch is durable
 * (or discarded when it failed, before the tree is reopened at the last durable size).
 */
final class StoredNodes implements NodeStore {

  private final AuditStore store;
  private final Map<Long, byte[]> pending = new ConcurrentHashMap<>();

  StoredNodes(AuditStore store) {
    this.store = store;
  }

  @Override
  public byte[] get(int level, long index) {
    byte[] hash = pending.get(address(level, index));
    if (hash != null) {
      return hash;
    }
    try {
      return store.get(store.nodes(), Keys.node(level, index));
    } catch (RocksDBException e) {
      throw new UncheckedIOException(
          new java.io.IOException("cannot read tree node: " + AuditStore.message(e), e));
    }
  }

  @Override
  public void put(int level, long index, byte[] hash) {
    pending.put(address(level, index), hash.clone());
  }

  /** The batch holding the pending nodes is durable: reads go to the store from now on. */
  void committed() {
    pending.clear();
  }

  /** The batch holding the pending nodes failed: forget them. */
  void discarded() {
    pending.clear();
  }

  // Levels stay below 63 and indexes below 2^(63 - level): six bits of level, the index above.
  private static long address(int level, long index) {
    return (index << 6) | level;
  }
}
