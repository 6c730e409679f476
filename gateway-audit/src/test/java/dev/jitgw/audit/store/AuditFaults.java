package dev.jitgw.audit.store;

/** Test support for other modules: makes a running log's store fail as a store in error does. */
public final class AuditFaults {
  private AuditFaults() {}

  /**
   * Closes the log's RocksDB instance under it: every write fails until the writer's probe reopens
   * it (about a second later).
   */
  public static void breakStore(RocksAuditLog log) {
    log.closeStoreForTesting();
  }
}
