package dev.jitgw.audit.store;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;

/**
 * Key layouts of the column families. Numbers are big-endian so that RocksDB's byte-wise order is
 * numeric order.
 *
 * <ul>
 *   <li>{@code records}: {@code seq(8)} → record bytes.
 *   <li>{@code nodes}: {@code level(1) index(8)} → 32-byte subtree hash.
 *   <li>{@code checkpoints}: {@code size(8)} → signed checkpoint note.
 *   <li>{@code indexes}: {@code 'x' id seq(8)} → empty (every record of an exchange); {@code 't'
 *       millis(8) id} → request seq (exchanges by time); {@code 's' len(2) subject millis(8) id} →
 *       request seq (exchanges by subject and time); {@code 'o' id} → request seq (exchanges not
 *       yet ended, closed as aborted after a crash).
 * </ul>
 */
final class Keys {
  static final byte EXCHANGE = 'x';
  static final byte BY_TIME = 't';
  static final byte BY_SUBJECT = 's';
  static final byte OPEN = 'o';

  private Keys() {}

  static byte[] seq(long seq) {
    return ByteBuffer.allocate(8).putLong(seq).array();
  }

  static long seqOf(byte[] key) {
    return ByteBuffer.wrap(key).getLong();
  }

  static byte[] node(int level, long index) {
    return ByteBuffer.allocate(9).put((byte) level).putLong(index).array();
  }

  static byte[] exchangeRecord(String exchangeId, long seq) {
    byte[] id = exchangeId.getBytes(US_ASCII);
    return ByteBuffer.allocate(1 + id.length + 8).put(EXCHANGE).put(id).putLong(seq).array();
  }

  static byte[] exchangePrefix(String exchangeId) {
    byte[] id = exchangeId.getBytes(US_ASCII);
    return ByteBuffer.allocate(1 + id.length).put(EXCHANGE).put(id).array();
  }

  static byte[] byTime(long millis, String exchangeId) {
    byte[] id = exchangeId.getBytes(US_ASCII);
    return ByteBuffer.allocate(9 + id.length).put(BY_TIME).putLong(millis).put(id).array();
  }

  static byte[] bySubjectPrefix(String subject) {
    byte[] sub = subject.getBytes(UTF_8);
    int length = Math.min(sub.length, 0xFFFF);
    return ByteBuffer.allocate(3 + length)
        .put(BY_SUBJECT)
        .putShort((short) length)
        .put(sub, 0, length)
        .array();
  }

  static byte[] bySubject(String subject, long millis, String exchangeId) {
    byte[] prefix = bySubjectPrefix(subject);
    byte[] id = exchangeId.getBytes(US_ASCII);
    return ByteBuffer.allocate(prefix.length + 8 + id.length)
        .put(prefix)
        .putLong(millis)
        .put(id)
        .array();
  }

  static byte[] open(String exchangeId) {
    byte[] id = exchangeId.getBytes(US_ASCII);
    return ByteBuffer.allocate(1 + id.length).put(OPEN).put(id).array();
  }

  /** The smallest key greater than every key that starts with {@code prefix}. */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xFF) {
        end[i]++;
        return java.util.Arrays.copyOf(end, i + 1);
      }
    }
    return null;
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
