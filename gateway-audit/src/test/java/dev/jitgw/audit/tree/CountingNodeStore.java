package dev.jitgw.audit.tree;

/** Counts the reads and writes that reach a delegate store, to pin the tree's O(log n) costs. */
final class CountingNodeStore implements NodeStore {

  private final NodeStore delegate;
  private long reads;
  private long writes;

  CountingNodeStore(NodeStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public byte[] get(int level, long index) {
    reads++;
    return delegate.get(level, index);
  }

  @Override
  public void put(int level, long index, byte[] hash) {
    writes++;
    delegate.put(level, index, hash);
  }

  long reads() {
    return reads;
  }

  long writes() {
    return writes;
  }

  void reset() {
    reads = 0;
    writes = 0;
  }
}
