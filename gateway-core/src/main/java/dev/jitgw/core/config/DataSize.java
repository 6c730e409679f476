package dev.jitgw.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A size in bytes, written {@code 32MiB}, {@code 512KiB}, {@code 1GiB} or a plain byte count. */
public record DataSize(long bytes) {
  private static final Pattern SYNTAX =
      Pattern.compile("(\\d+)\\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?", Pattern.CASE_INSENSITIVE);

  public DataSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("size: " + bytes + " (expected: >= 0)");
    }
  }

  public static DataSize ofMebibytes(long mib) {
    return new DataSize(mib * 1024 * 1024);
  }

  public static DataSize ofKibibytes(long kib) {
    return new DataSize(kib * 1024);
  }

  @JsonCreator
  public static DataSize parse(String value) {
    Matcher m = SYNTAX.matcher(value.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a size (expected e.g. 32MiB, 512KiB or a byte count)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    long factor =
        switch (unit) {
          case "b" -> 1;
          case "k", "kb", "kib" -> 1024;
          case "m", "mb", "mib" -> 1024 * 1024;
          default -> 1024L * 1024 * 1024;
        };
    return new DataSize(Math.multiplyExact(n, factor));
  }

  @JsonCreator
  public static DataSize of(long bytes) {
    return new DataSize(bytes);
  }

  /** The size as an {@code int}, for buffer limits; sizes over 2 GiB - 1 are refused. */
  public int toIntBytes() {
    return Math.toIntExact(bytes);
  }

  @JsonValue
  @Override
  public String toString() {
    if (bytes != 0 && bytes % (1024 * 1024 * 1024) == 0) {
      return bytes / (1024 * 1024 * 1024) + "GiB";
    }
    if (bytes != 0 && bytes % (1024 * 1024) == 0) {
      return bytes / (1024 * 1024) + "MiB";
    }
    if (bytes != 0 && bytes % 1024 == 0) {
      return bytes / 1024 + "KiB";
    }
    return Long.toString(bytes);
  }
}
