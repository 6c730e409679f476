package dev.jitgw.audit.export;

import static java.util.Objects.requireNonNull;

import dev.jitgw.audit.tree.MerkleHash;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.OptionalLong;

/**
 * What {@link ExportVerifier} found: the export {@link Verified verified}, or the first check that
 * {@link Failed failed}, with the line and seq it is about.
 */
public sealed interface VerifyResult permits VerifyResult.Verified, VerifyResult.Failed {

  /** The checks of docs/audit.md §Verify, in the order they run. */
  enum Check {
    /** 1: {@code verifier.key} parses, {@code checkpoint} is signed by it, for its origin. */
    SIGNATURE,
    /**
     * Before 2: {@code prefix.json}, when there, is a compact range; its size is the first seq
     * expected.
     */
    PREFIX,
    /** 2: each line is a JSON object whose {@code seq} is the next one. */
    SEQUENCE,
    /** 3: each {@code prev} is the leaf hash of the line before. */
    CHAIN,
    /** 4: the prefix size plus the number of records is the checkpoint's tree size. */
    SIZE,
    /** 5: the root recomputed from the prefix and the records is the checkpoint's root. */
    ROOT,
    /** 6: the {@code --previous} checkpoint is by the same key, no larger, and consistent. */
    PREVIOUS
  }

  /** What was found wrong; the {@link Check} says at which step. */
  enum Kind {
    /** A file of the export, or the {@code --previous} file, is not there. */
    MISSING_FILE,
    /** {@code verifier.key} is not a verifier key. */
    MALFORMED_KEY,
    /** A checkpoint file is not a signed checkpoint note (layout, characters, text). */
    MALFORMED_CHECKPOINT,
    /** A checkpoint note carries no signature line at all. */
    MISSING_SIGNATURE,
    /** A checkpoint is signed, but not by the key of {@code verifier.key}. */
    WRONG_KEY,
    /** A signature by the key is there and does not verify: the note or signature was altered. */
    BAD_SIGNATURE,
    /** A checkpoint's origin is not the key's name: it vouches for another log. */
    ORIGIN_MISMATCH,
    /** {@code prefix.json} is not a compact range. */
    MALFORMED_PREFIX,
    /** A line is not a JSON object with an integer {@code seq}, or too long to be a record. */
    NOT_A_RECORD,
    /** The last line of {@code records.jsonl} has no newline: the export was cut short. */
    TRUNCATED_LINE,
    /** A line's {@code seq} is not the next one: records were dropped, inserted or reordered. */
    SEQ_MISMATCH,
    /** A record's bytes are not those that were logged (named by the next {@code prev} or root). */
    EDITED,
    /** Fewer records than the checkpoint's tree size: records at the end were truncated. */
    TRUNCATED,
    /** More records than the checkpoint's tree size. */
    EXTRA_RECORDS,
    /** The previous checkpoint is larger, or its root is not the root of the first records. */
    INCONSISTENT,
    /** The previous checkpoint ends before this export's first record: it cannot be checked. */
    PREVIOUS_NOT_COVERED
  }

  /** Whether the export verified. */
  boolean ok();

  /** docs/audit.md §Verify: 0 when verified, 1 on the first failure. */
  default int exitCode() {
    return ok() ? 0 : 1;
  }

  /** The line to print. */
  String message();

  /**
   * Every check passed.
   *
   * @param recordCount the number of lines of {@code records.jsonl}
   * @param treeSize the checkpoint's tree size (the prefix size plus the record count)
   * @param root the checkpoint's root hash, recomputed; copied in and out
   */
  record Verified(long recordCount, long treeSize, byte[] root) implements VerifyResult {
    public Verified {
      requireNonNull(root, "root");
      if (root.length != MerkleHash.HASH_LENGTH) {
        throw new IllegalArgumentException(
            "root.length: " + root.length + " (expected: " + MerkleHash.HASH_LENGTH + ")");
      }
      root = root.clone();
    }

    @Override
    public byte[] root() {
      return root.clone();
    }

    /** The root in lower-case hex. */
    public String rootHex() {
      return HexFormat.of().formatHex(root);
    }

    /** The root in standard base64, as in the checkpoint. */
    public String rootBase64() {
      return Base64.getEncoder().encodeToString(root);
    }

    @Override
    public boolean ok() {
      return true;
    }

    @Override
    public String message() {
      return "verified: "
          + recordCount
          + (recordCount == 1 ? " record" : " records")
          + ", tree size "
          + treeSize
          + ", root "
          + rootHex()
          + " ("
          + rootBase64()
          + ")";
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Verified that
          && recordCount == that.recordCount
          && treeSize == that.treeSize
          && Arrays.equals(root, that.root);
    }

    @Override
    public int hashCode() {
      return (Long.hashCode(recordCount) * 31 + Long.hashCode(treeSize)) * 31
          + Arrays.hashCode(root);
    }

    @Override
    public String toString() {
      return "Verified[" + message() + "]";
    }
  }

  /**
   * The first check that failed.
   *
   * @param check the step that failed
   * @param kind what was found wrong
   * @param line the 1-based line of {@code records.jsonl} at fault, when there is one
   * @param seq the seq at fault (the one found on {@code line}, or the first missing one)
   * @param message what was found and what was expected, naming the kind, line and seq
   */
  record Failed(Check check, Kind kind, OptionalLong line, OptionalLong seq, String message)
      implements VerifyResult {
    public Failed {
      requireNonNull(check, "check");
      requireNonNull(kind, "kind");
      requireNonNull(line, "line");
      requireNonNull(seq, "seq");
      requireNonNull(message, "message");
    }

    /** A failure that is not about one line. */
    static Failed of(Check check, Kind kind, String message) {
      return new Failed(check, kind, OptionalLong.empty(), OptionalLong.empty(), message);
    }

    @Override
    public boolean ok() {
      return false;
    }
  }
}
