package dev.jitgw.audit.checkpoint;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.List;

/**
 * A transparency log checkpoint, the note text of c2sp.org/tlog-checkpoint §Note text:
 *
 * <pre>
 * &lt;origin&gt;
 * &lt;tree size, decimal&gt;
 * &lt;root hash, base64&gt;
 * [&lt;extension line&gt;...]
 * </pre>
 *
 * @param origin the log's identity: non-empty, one line (it SHOULD be a schema-less URL without
 *     spaces or '+'; as clients must not assume that, neither does this record)
 * @param size the number of leaves in the tree, 0 for the empty tree
 * @param rootHash the 32-byte RFC 6962 (RFC 9162) Merkle tree hash at {@code size}; copied in and
 *     out
 * @param extensions optional opaque lines, each non-empty (their use is NOT RECOMMENDED)
 */
public record Checkpoint(String origin, long size, byte[] rootHash, List<String> extensions) {

  /** SHA-256, the hash of the RFC 6962 Merkle tree. */
  public static final int HASH_LENGTH = 32;

  private static final String SPEC = "tlog-checkpoint §Note text";

  public Checkpoint {
    requireNonNull(origin, "origin");
    requireNonNull(rootHash, "rootHash");
    requireNonNull(extensions, "extensions");
    requireLine("origin", origin);
    if (size < 0) {
      throw new IllegalArgumentException(
          "tree size " + size + " is negative (expected the number of leaves, 0 or more)");
    }
    if (rootHash.length != HASH_LENGTH) {
      throw new IllegalArgumentException(
          "root hash is " + rootHash.length + " bytes (expected " + HASH_LENGTH + ", SHA-256)");
    }
    rootHash = rootHash.clone();
    extensions = List.copyOf(extensions);
    for (int i = 0; i < extensions.size(); i++) {
      requireLine("extension line " + (i + 1), extensions.get(i));
    }
  }

  /** A checkpoint without extension lines, the recommended kind. */
  public Checkpoint(String origin, long size, byte[] rootHash) {
    this(origin, size, rootHash, List.of());
  }

  @Override
  public byte[] rootHash() {
    return rootHash.clone();
  }

  /** The note text: each line, extensions included, ends in a newline. */
  public String body() {
    StringBuilder out =
        new StringBuilder(origin)
            .append('\n')
            .append(size)
            .append('\n')
            .append(NoteFormat.base64(rootHash))
            .append('\n');
    for (String extension : extensions) {
      out.append(extension).append('\n');
    }
    return out.toString();
  }

  /**
   * Reads a note text strictly (tlog-checkpoint §Note text): at least three non-empty lines, each
   * ending in newline; a non-empty origin; the tree size in ASCII decimal without leading zeros
   * ("0" for the empty tree) that fits a {@code long}; the root hash as canonical base64 of 32
   * bytes; any further lines non-empty; no control characters but newline (signed-note §Format).
   *
   * @throws IllegalArgumentException saying which line is wrong, what it holds and what was
   *     expected
   */
  public static Checkpoint parse(String body) {
    requireNonNull(body, "body");
    if (body.isEmpty()) {
      throw new IllegalArgumentException(
          "checkpoint is empty (expected origin, tree size and root hash lines; " + SPEC + ")");
    }
    if (!body.endsWith("\n")) {
      throw new IllegalArgumentException(
          "checkpoint "
              + NoteFormat.quote(body)
              + " does not end with a newline (expected every line to end in U+000A; "
              + SPEC
              + ")");
    }
    String problem = NoteFormat.textProblem(body);
    if (problem != null) {
      throw new IllegalArgumentException("checkpoint " + problem + " (signed-note §Format)");
    }
    String[] lines = body.substring(0, body.length() - 1).split("\n", -1);
    if (lines.length < 3) {
      throw new IllegalArgumentException(
          "checkpoint "
              + NoteFormat.quote(body)
              + " has "
              + lines.length
              + (lines.length == 1 ? " line" : " lines")
              + " (expected at least 3: origin, tree size, root hash; "
              + SPEC
              + ")");
    }
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isEmpty()) {
        throw new IllegalArgumentException(
            "checkpoint line "
                + (i + 1)
                + " is empty (expected non-empty lines only; "
                + SPEC
                + "; an empty line would end the note text)");
      }
    }
    long size = parseSize(lines[1]);
    byte[] root = NoteFormat.decodeBase64(lines[2]);
    if (root == null) {
      throw new IllegalArgumentException(
          "checkpoint root hash "
              + NoteFormat.quote(lines[2])
              + " is not canonical base64 (expected the standard, padded base64 of "
              + HASH_LENGTH
              + " bytes; "
              + SPEC
              + ")");
    }
    if (root.length != HASH_LENGTH) {
      throw new IllegalArgumentException(
          "checkpoint root hash "
              + NoteFormat.quote(lines[2])
              + " is "
              + root.length
              + " bytes (expected "
              + HASH_LENGTH
              + ", SHA-256; "
              + SPEC
              + ")");
    }
    return new Checkpoint(lines[0], size, root, List.of(lines).subList(3, lines.length));
  }

  /** tlog-checkpoint §Note text: ASCII decimal, no leading zeros unless the tree is empty. */
  private static long parseSize(String line) {
    String expected =
        " (expected the ASCII decimal number of leaves, without sign or leading zeros, \"0\" for"
            + " the empty tree; "
            + SPEC
            + ")";
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c < '0' || c > '9') {
        throw new IllegalArgumentException(
            "checkpoint tree size "
                + NoteFormat.quote(line)
                + " is not a decimal number"
                + expected);
      }
    }
    if (line.length() > 1 && line.charAt(0) == '0') {
      throw new IllegalArgumentException(
          "checkpoint tree size " + NoteFormat.quote(line) + " has a leading zero" + expected);
    }
    try {
      return Long.parseLong(line);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "checkpoint tree size "
              + NoteFormat.quote(line)
              + " exceeds "
              + Long.MAX_VALUE
              + ", the largest size this log handles",
          e);
    }
  }

  private static void requireLine(String what, String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException(
          "checkpoint " + what + " is empty (expected a non-empty line; " + SPEC + ")");
    }
    if (value.indexOf('\n') >= 0) {
      throw new IllegalArgumentException(
          "checkpoint "
              + what
              + " "
              + NoteFormat.quote(value)
              + " contains a newline (expected a single line; "
              + SPEC
              + ")");
    }
    String problem = NoteFormat.textProblem(value);
    if (problem != null) {
      throw new IllegalArgumentException(
          "checkpoint " + what + " " + problem + " (signed-note §Format)");
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Checkpoint that
        && size == that.size
        && origin.equals(that.origin)
        && Arrays.equals(rootHash, that.rootHash)
        && extensions.equals(that.extensions);
  }

  @Override
  public int hashCode() {
    return ((origin.hashCode() * 31 + Long.hashCode(size)) * 31 + Arrays.hashCode(rootHash)) * 31
        + extensions.hashCode();
  }

  @Override
  public String toString() {
    return "Checkpoint[origin="
        + origin
        + ", size="
        + size
        + ", rootHash="
        + NoteFormat.base64(rootHash)
        + (extensions.isEmpty() ? "" : ", extensions=" + extensions)
        + "]";
  }
}
