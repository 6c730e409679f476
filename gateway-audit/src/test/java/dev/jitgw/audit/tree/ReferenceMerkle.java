package dev.jitgw.audit.tree;

import java.util.ArrayList;
import java.util.List;

/**
 * The RFC 9162 §2.1 definitions transcribed literally as recursions over a list of leaf hashes: MTH
 * (§2.1.1), PATH (§2.1.3.1) and PROOF/SUBPROOF (§2.1.4.1). Slow and obviously correct, the
 * yardstick for the store-backed tree.
 */
final class ReferenceMerkle {

  private ReferenceMerkle() {}

  static byte[] mth(List<byte[]> d) {
    int n = d.size();
    if (n == 0) {
      return MerkleHash.emptyRoot();
    }
    if (n == 1) {
      return d.get(0);
    }
    int k = k(n);
    return MerkleHash.nodeHash(mth(d.subList(0, k)), mth(d.subList(k, n)));
  }

  static List<byte[]> path(int m, List<byte[]> d) {
    int n = d.size();
    List<byte[]> out = new ArrayList<>();
    if (n == 1) {
      return out;
    }
    int k = k(n);
    if (m < k) {
      out.addAll(path(m, d.subList(0, k)));
      out.add(mth(d.subList(k, n)));
    } else {
      out.addAll(path(m - k, d.subList(k, n)));
      out.add(mth(d.subList(0, k)));
    }
    return out;
  }

  static List<byte[]> proof(int m, List<byte[]> d) {
    return subproof(m, d, true);
  }

  private static List<byte[]> subproof(int m, List<byte[]> d, boolean b) {
    int n = d.size();
    List<byte[]> out = new ArrayList<>();
    if (m == n) {
      if (!b) {
        out.add(mth(d));
      }
      return out;
    }
    int k = k(n);
    if (m <= k) {
      out.addAll(subproof(m, d.subList(0, k), b));
      out.add(mth(d.subList(k, n)));
    } else {
      out.addAll(subproof(m - k, d.subList(k, n), false));
      out.add(mth(d.subList(0, k)));
    }
    return out;
  }

  /** The largest power of two smaller than n, n > 1. */
  private static int k(int n) {
    return Integer.highestOneBit(n - 1);
  }
}
