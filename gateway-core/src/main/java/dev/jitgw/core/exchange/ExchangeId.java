package dev.jitgw.core.exchange;

import java.time.Clock;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exchange ids: {@code ex_} followed by a ULID (48-bit milliseconds, 80 random bits, Crockford
 * base32), so ids sort by start time and are unique without coordination between nodes.
 */
public final class ExchangeId {
  private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  public static final String PREFIX = "ex_";

  private ExchangeId() {}

  public static String next(Clock clock) {
    long millis = clock.millis();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long randomHigh = random.nextLong() & 0xFFFFL; // 16 bits
    long randomLow = random.nextLong(); // 64 bits
    char[] out = new char[PREFIX.length() + 26];
    PREFIX.getChars(0, PREFIX.length(), out, 0);
    int p = PREFIX.length();
    // 10 chars of time (50 bits, top 2 always zero for 48-bit millis)
    for (int i = 9; i >= 0; i--) {
      out[p + i] = CROCKFORD[(int) (millis & 31)];
      millis >>>= 5;
    }
    // 16 chars of randomness: 80 bits = randomHigh (16) + randomLow (64)
    for (int i = 25; i >= 10; i--) {
      out[p + i] = CROCKFORD[(int) (randomLow & 31)];
      randomLow = (randomLow >>> 5) | ((randomHigh & 31) << 59);
      randomHigh >>>= 5;
    }
    return new String(out);
  }

  /** Whether {@code value} has the shape of an exchange id. */
  public static boolean isValid(String value) {
    if (value == null || value.length() != PREFIX.length() + 26 || !value.startsWith(PREFIX)) {
      return false;
    }
    for (int i = PREFIX.length(); i < value.length(); i++) {
      if (indexOf(value.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(char c) {
    for (int i = 0; i < CROCKFORD.length; i++) {
      if (CROCKFORD[i] == c) {
        return i;
      }
    }
    return -1;
  }
}
