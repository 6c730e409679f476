/**
 * The append-only audit log: RocksDB store, RFC 9162 Merkle tree, signed checkpoints, export,
 * verification and replay. No Netty types in its public API.
 */
package dev.jitgw.audit;
