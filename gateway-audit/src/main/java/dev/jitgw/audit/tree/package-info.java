/**
 * The RFC 9162 §2.1 Merkle tree of the audit log: leaf and node hashing ({@link
 * dev.jitgw.audit.tree.MerkleHash}), storage of complete-subtree hashes ({@link
 * dev.jitgw.audit.tree.NodeStore}), the appendable tree with roots and proofs at any past size
 * ({@link dev.jitgw.audit.tree.MerkleTree}), and the pure verification an independent auditor
 * re-implements ({@link dev.jitgw.audit.tree.MerkleVerifier}, {@link
 * dev.jitgw.audit.tree.CompactRange}).
 */
package dev.jitgw.audit.tree;
