/**
 * The audit log's storage: one RocksDB instance in the data directory ({@link
 * dev.jitgw.audit.store.AuditStore}), written by a single group-committing thread ({@link
 * dev.jitgw.audit.store.RocksAuditLog}) behind the {@link dev.jitgw.audit.store.AuditLog}
 * interface.
 */
package dev.jitgw.audit.store;
