package dev.jitgw.policy.masking;

import java.util.Arrays;

/** A growable char array that masked text is written to. Not thread-safe. */
final class CharSink {
  char[] chars = new char[256];
  int length;

  void clear() {
    length = 0;
  }

  void append(char[] source, int from, int count) {
    reserve(count);
    System.arraycopy(source, from, chars, length, count);
    length += count;
  }

  void append(String s) {
    int n = s.length();
    reserve(n);
    s.getChars(0, n, chars, length);
    length += n;
  }

  private void reserve(int more) {
    if (length + more > chars.length) {
      chars = Arrays.copyOf(chars, Math.max(length + more, chars.length * 2));
    }
  }

  @Override
  public String toString() {
    return new String(chars, 0, length);
  }
}
