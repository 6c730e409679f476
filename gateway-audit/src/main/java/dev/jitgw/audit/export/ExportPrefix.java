package dev.jitgw.audit.export;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.jitgw.audit.tree.CompactRange;
import dev.jitgw.audit.tree.MerkleHash;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;

/**
 * The content of {@code prefix.json} (docs/audit.md §Export): the compact range of the records
 * before the first exported one, {@code {"size": from, "hashes": [...]}} with the subtree hashes in
 * standard base64, left to right. It is what lets a verifier recompute the root of the whole tree
 * from the exported records alone.
 *
 * @param size the number of records before the export, its first {@code seq}
 * @param hashes one 32-byte hash per set bit of {@code size}, largest subtree first; copied in and
 *     out
 */
public record ExportPrefix(long size, List<byte[]> hashes) {

  /** prefix.json holds at most 64 hashes of 44 base64 characters; anything larger is not one. */
  static final int MAX_FILE_BYTES = 16 * 1024;

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private static final String EXPECTED =
      " (expected {\"size\": N, \"hashes\": [base64, ...]}, the compact range of the records"
          + " before the first exported one)";

  /**
   * @throws IllegalArgumentException if {@code size} is negative, the number of hashes is not the
   *     number of set bits of {@code size}, or a hash is not 32 bytes
   */
  public ExportPrefix {
    requireNonNull(hashes, "hashes");
    // CompactRange.of checks size, count and lengths, and copies.
    hashes = List.copyOf(CompactRange.of(size, hashes).hashes());
  }

  /** The prefix whose compact range is {@code range}. */
  public static ExportPrefix of(CompactRange range) {
    requireNonNull(range, "range");
    return new ExportPrefix(range.size(), range.hashes());
  }

  @Override
  public List<byte[]> hashes() {
    return toCompactRange().hashes();
  }

  /** A compact range that can be appended to, starting from this prefix. */
  public CompactRange toCompactRange() {
    return CompactRange.of(size, hashes);
  }

  /** The {@code prefix.json} text: {@code {"size":N,"hashes":["...",...]}} and a newline. */
  public String toJson() {
    StringBuilder out = new StringBuilder("{\"size\":").append(size).append(",\"hashes\":[");
    for (int i = 0; i < hashes.size(); i++) {
      out.append(i == 0 ? "\"" : ",\"")
          .append(Base64.getEncoder().encodeToString(hashes.get(i)))
          .append('"');
    }
    return out.append("]}\n").toString();
  }

  /**
   * Reads {@code prefix.json} strictly: one JSON object with exactly the keys {@code size} (an
   * integer, 0 or more) and {@code hashes} (an array of canonical standard base64 strings of 32
   * bytes, one per set bit of {@code size}).
   *
   * @throws MalformedExportException saying what is wrong and what was expected
   */
  public static ExportPrefix parse(byte[] json) throws MalformedExportException {
    requireNonNull(json, "json");
    if (json.length > MAX_FILE_BYTES) {
      throw malformed(
          "is " + json.length + " bytes (expected at most " + MAX_FILE_BYTES + ": 64 hashes)");
    }
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new MalformedExportException(
          "prefix.json is not JSON: " + e.getOriginalMessage() + EXPECTED, e);
    } catch (IOException e) {
      throw new MalformedExportException("prefix.json cannot be read: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw malformed("is not a JSON object");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!name.equals("size") && !name.equals("hashes")) {
        throw malformed("has the unknown key \"" + name + "\"");
      }
    }
    JsonNode size = root.get("size");
    if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
      throw malformed("size " + size + " is not an integer 0 or more");
    }
    JsonNode hashes = root.get("hashes");
    if (hashes == null || !hashes.isArray()) {
      throw malformed("hashes " + hashes + " is not an array");
    }
    long expected = Long.bitCount(size.asLong());
    if (hashes.size() != expected) {
      throw malformed(
          "has "
              + hashes.size()
              + " hashes for size "
              + size.asLong()
              + " (expected "
              + expected
              + ", one per set bit of the size)");
    }
    List<byte[]> decoded = new ArrayList<>(hashes.size());
    for (int i = 0; i < hashes.size(); i++) {
      JsonNode hash = hashes.get(i);
      byte[] bytes = hash.isTextual() ? decodeCanonicalBase64(hash.asText()) : null;
      if (bytes == null || bytes.length != MerkleHash.HASH_LENGTH) {
        throw malformed(
            "hashes["
                + i
                + "] "
                + hash
                + " is not a hash (expected the standard base64 of "
                + MerkleHash.HASH_LENGTH
                + " bytes)");
      }
      decoded.add(bytes);
    }
    return new ExportPrefix(size.asLong(), decoded);
  }

  /** As {@link #parse(byte[])}, for text. */
  public static ExportPrefix parse(String json) throws MalformedExportException {
    requireNonNull(json, "json");
    return parse(json.getBytes(UTF_8));
  }

  private static MalformedExportException malformed(String problem) {
    return new MalformedExportException("prefix.json " + problem + EXPECTED);
  }

  /** Standard padded base64, refusing the non-canonical spellings the JDK decoder accepts. */
  private static byte[] decodeCanonicalBase64(String text) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return Base64.getEncoder().encodeToString(bytes).equals(text) ? bytes : null;
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof ExportPrefix that) || size != that.size) {
      return false;
    }
    for (int i = 0; i < hashes.size(); i++) {
      if (!Arrays.equals(hashes.get(i), that.hashes.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int hash = Long.hashCode(size);
    for (byte[] h : hashes) {
      hash = 31 * hash + Arrays.hashCode(h);
    }
    return hash;
  }

  @Override
  public String toString() {
    return "ExportPrefix[size=" + size + ", hashes=" + hashes.size() + "]";
  }
}
