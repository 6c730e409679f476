package dev.jitgw.policy.masking;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** An immutable set of UTF-16 chars: sorted disjoint ranges, with a bitmap for ASCII. */
final class CharClass {
  static final CharClass DIGIT = ranges('0', '9');
  static final CharClass WORD = ranges('0', '9', 'A', 'Z', '_', '_', 'a', 'z');
  static final CharClass SPACE = ranges('\t', '\r', ' ', ' ');
  static final CharClass ANY_BUT_NEWLINE = ranges(0, '\n' - 1, '\n' + 1, 0xFFFF);

  private final int[] ranges; // lo0, hi0, lo1, hi1, ... inclusive, sorted, disjoint, not adjacent
  private final long ascii0;
  private final long ascii1;

  private CharClass(int[] ranges) {
    this.ranges = ranges;
    long a0 = 0;
    long a1 = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      for (int c = ranges[i]; c <= Math.min(ranges[i + 1], 127); c++) {
        if (c < 64) {
          a0 |= 1L << c;
        } else {
          a1 |= 1L << (c - 64);
        }
      }
    }
    this.ascii0 = a0;
    this.ascii1 = a1;
  }

  static CharClass ranges(int... bounds) {
    return new Builder().addRanges(bounds).build();
  }

  static CharClass of(char c) {
    return ranges(c, c);
  }

  boolean contains(char c) {
    if (c < 64) {
      return (ascii0 & (1L << c)) != 0;
    }
    if (c < 128) {
      return (ascii1 & (1L << (c - 64))) != 0;
    }
    int lo = 0;
    int hi = ranges.length / 2 - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (c < ranges[2 * mid]) {
        hi = mid - 1;
      } else if (c > ranges[2 * mid + 1]) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  boolean isEmpty() {
    return ranges.length == 0;
  }

  boolean isAll() {
    return ranges.length == 2 && ranges[0] == 0 && ranges[1] == 0xFFFF;
  }

  CharClass negate() {
    Builder b = new Builder();
    int next = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      if (ranges[i] > next) {
        b.add(next, ranges[i] - 1);
      }
      next = ranges[i + 1] + 1;
    }
    if (next <= 0xFFFF) {
      b.add(next, 0xFFFF);
    }
    return b.build();
  }

  /** This set with the other case of each letter added (ASCII, and ranges up to 4096 chars). */
  CharClass foldCase() {
    Builder b = new Builder().addAll(this);
    for (int i = 0; i < ranges.length; i += 2) {
      int lo = ranges[i];
      int hi = ranges[i + 1];
      if (hi - lo > 4096) {
        addAsciiFold(b, lo, hi);
        continue;
      }
      for (int c = lo; c <= hi; c++) {
        b.add(Character.toLowerCase((char) c));
        b.add(Character.toUpperCase((char) c));
      }
    }
    return b.build();
  }

  private static void addAsciiFold(Builder b, int lo, int hi) {
    for (int c = Math.max(lo, 'A'); c <= Math.min(hi, 'Z'); c++) {
      b.add(c + 32);
    }
    for (int c = Math.max(lo, 'a'); c <= Math.min(hi, 'z'); c++) {
      b.add(c - 32);
    }
  }

  CharClass union(CharClass other) {
    return new Builder().addAll(this).addAll(other).build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CharClass other && Arrays.equals(ranges, other.ranges);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ranges);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < ranges.length; i += 2) {
      s.append(String.format("\\u%04x-\\u%04x", ranges[i], ranges[i + 1]));
    }
    return s.append(']').toString();
  }

  /** Collects ranges in any order; {@link #build()} sorts and merges them. */
  static final class Builder {
    private final List<int[]> ranges = new ArrayList<>();

    Builder add(int c) {
      return add(c, c);
    }

    Builder add(int lo, int hi) {
      if (lo > hi) {
        throw new IllegalArgumentException("range " + lo + "-" + hi + " (expected: lo <= hi)");
      }
      ranges.add(new int[] {lo, hi});
      return this;
    }

    Builder addRanges(int... bounds) {
      for (int i = 0; i < bounds.length; i += 2) {
        add(bounds[i], bounds[i + 1]);
      }
      return this;
    }

    Builder addAll(CharClass other) {
      return addRanges(other.ranges);
    }

    CharClass build() {
      ranges.sort((a, b) -> Integer.compare(a[0], b[0]));
      int[] merged = new int[ranges.size() * 2];
      int n = 0;
      for (int[] r : ranges) {
        if (n > 0 && r[0] <= merged[n - 1] + 1) {
          merged[n - 1] = Math.max(merged[n - 1], r[1]);
        } else {
          merged[n++] = r[0];
          merged[n++] = r[1];
        }
      }
      return new CharClass(Arrays.copyOf(merged, n));
    }
  }
}
