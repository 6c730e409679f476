package dev.jitgw.audit.export;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.jitgw.audit.checkpoint.Checkpoint;
import dev.jitgw.audit.checkpoint.NoteVerificationException;
import dev.jitgw.audit.checkpoint.NoteVerifier;
import dev.jitgw.audit.checkpoint.SignedCheckpoint;
import dev.jitgw.audit.export.VerifyResult.Check;
import dev.jitgw.audit.export.VerifyResult.Failed;
import dev.jitgw.audit.export.VerifyResult.Kind;
import dev.jitgw.audit.export.VerifyResult.Verified;
import dev.jitgw.audit.tree.CompactRange;
import dev.jitgw.audit.tree.MerkleHash;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Verifies an export directory offline, with nothing but its files (docs/audit.md §Verify): the
 * checks run in the documented order and the first failure is the answer. {@code records.jsonl} is
 * streamed once, one record in memory at a time, hashing each into a {@link CompactRange} that
 * starts from {@code prefix.json}; the same pass takes the root at the {@code --previous}
 * checkpoint's size.
 *
 * <p>Within the one pass, check 2 still comes before check 3: the first broken {@code prev} is
 * remembered and reported only when no line further on breaks the sequence, so that dropped or
 * reordered records are named as such wherever they are.
 *
 * <p>A missing or malformed file is a failed verification; only an I/O error (a file that cannot be
 * read) is an exception.
 */
public final class ExportVerifier {

  private static final JsonFactory JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final HexFormat HEX = HexFormat.of();

  private ExportVerifier() {}

  /**
   * Verifies the export in {@code directory}; with {@code previousCheckpoint}, also that the log
   * grew from that earlier checkpoint without rewriting it (check 6).
   *
   * @throws IOException when a file is there but cannot be read
   */
  public static VerifyResult verify(Path directory, Optional<Path> previousCheckpoint)
      throws IOException {
    requireNonNull(directory, "directory");
    requireNonNull(previousCheckpoint, "previousCheckpoint");
    try {
      return run(ExportDirectory.at(directory), previousCheckpoint);
    } catch (Stop stop) {
      return stop.failed;
    }
  }

  private static VerifyResult run(ExportDirectory export, Optional<Path> previousFile)
      throws IOException, Stop {
    // 1. The key, and the checkpoint it signed.
    NoteVerifier verifier = readVerifier(export);
    Checkpoint checkpoint =
        openCheckpoint(
            export.file(ExportDirectory.CHECKPOINT), "checkpoint", verifier, Check.SIGNATURE);

    // Before 2: the prefix's size is the first seq expected.
    CompactRange range = readPrefix(export);
    long firstSeq = range.size();

    // 6 needs the root at the previous size, taken while streaming; its failures wait their turn.
    Checkpoint previous = null;
    Failed previousFailure = null;
    if (previousFile.isPresent()) {
      Path file = previousFile.get();
      try {
        previous = openCheckpoint(file, "previous checkpoint " + file, verifier, Check.PREVIOUS);
      } catch (Stop stop) {
        previousFailure = stop.failed;
      }
    }
    byte[] rootAtPrevious =
        previous != null && previous.size() == range.size() ? range.root() : null;

    // 2 and 3, in one pass.
    Failed chainFailure = null;
    long lines = 0;
    long lastSeq = -1;
    long extraLine = 0;
    long extraSeq = -1;
    byte[] leafBefore = null;
    try (RecordLines records = export.openRecords()) {
      byte[] record;
      while ((record = nextRecord(records)) != null) {
        long line = records.lineNumber();
        RecordHead head = readHead(record, line);
        long expected = range.size();
        if (head.seq() != expected) {
          throw new Stop(seqMismatch(line, head.seq(), expected, firstSeq));
        }
        if (leafBefore != null && chainFailure == null) {
          chainFailure = checkPrev(line, head, leafBefore);
        }
        byte[] leaf = MerkleHash.leafHash(record);
        range.append(leaf);
        if (extraLine == 0 && range.size() > checkpoint.size()) {
          extraLine = line;
          extraSeq = head.seq();
        }
        if (previous != null && range.size() == previous.size()) {
          rootAtPrevious = range.root();
        }
        leafBefore = leaf;
        lines = line;
        lastSeq = head.seq();
      }
    } catch (NoSuchFileException e) {
      throw new Stop(
          Failed.of(
              Check.SEQUENCE,
              Kind.MISSING_FILE,
              "missing file: "
                  + ExportDirectory.RECORDS
                  + " is not in "
                  + export.directory()
                  + " (expected the exported records, one per line)"));
    }
    if (chainFailure != null) {
      return chainFailure;
    }

    // 4. The number of records.
    long size = range.size();
    if (size < checkpoint.size()) {
      throw new Stop(truncated(lines, lastSeq, size, checkpoint.size()));
    }
    if (size > checkpoint.size()) {
      throw new Stop(extra(extraLine, extraSeq, size, checkpoint.size(), firstSeq));
    }

    // 5. The root.
    byte[] root = range.root();
    if (!MessageDigest.isEqual(root, checkpoint.rootHash())) {
      throw new Stop(rootMismatch(lines, lastSeq, root, checkpoint, firstSeq));
    }

    // 6. The previous checkpoint.
    if (previousFailure != null) {
      return previousFailure;
    }
    if (previous != null) {
      checkPrevious(previous, checkpoint, firstSeq, rootAtPrevious);
    }
    return new Verified(lines, checkpoint.size(), root);
  }

  private static NoteVerifier readVerifier(ExportDirectory export) throws IOException, Stop {
    String key;
    try {
      key = export.readVerifierKey();
    } catch (NoSuchFileException e) {
      throw new Stop(
          Failed.of(
              Check.SIGNATURE,
              Kind.MISSING_FILE,
              "missing file: "
                  + ExportDirectory.VERIFIER_KEY
                  + " is not in "
                  + export.directory()
                  + " (expected the verifier key line <name>+<hash>+<keydata>)"));
    } catch (MalformedExportException e) {
      throw new Stop(Failed.of(Check.SIGNATURE, Kind.MALFORMED_KEY, e.getMessage()));
    }
    try {
      return NoteVerifier.parse(key);
    } catch (IllegalArgumentException e) {
      throw new Stop(
          Failed.of(
              Check.SIGNATURE,
              Kind.MALFORMED_KEY,
              ExportDirectory.VERIFIER_KEY + " is not a verifier key: " + e.getMessage()));
    }
  }

  /** Opens a signed checkpoint file; every refusal is a failure of {@code check}. */
  private static Checkpoint openCheckpoint(
      Path file, String what, NoteVerifier verifier, Check check) throws IOException, Stop {
    String note;
    try {
      note = ExportDirectory.readUtf8(file);
    } catch (NoSuchFileException e) {
      throw new Stop(
          Failed.of(
              check,
              Kind.MISSING_FILE,
              "missing file: "
                  + what
                  + " ("
                  + file
                  + ") is not there (expected a checkpoint signed by "
                  + verifier.keyId()
                  + "; without it nothing vouches for the records)"));
    } catch (MalformedExportException e) {
      throw new Stop(Failed.of(check, Kind.MALFORMED_CHECKPOINT, what + ": " + e.getMessage()));
    }
    try {
      return SignedCheckpoint.open(note, verifier);
    } catch (NoteVerificationException e) {
      throw new Stop(Failed.of(check, kindOf(e, note), describe(what, verifier, e, note)));
    }
  }

  private static Kind kindOf(NoteVerificationException e, String note) {
    return switch (e.reason()) {
      case MALFORMED_NOTE ->
          hasSignatureLines(note) ? Kind.MALFORMED_CHECKPOINT : Kind.MISSING_SIGNATURE;
      case UNKNOWN_KEY -> Kind.WRONG_KEY;
      case BAD_SIGNATURE -> Kind.BAD_SIGNATURE;
      case MALFORMED_CHECKPOINT -> Kind.MALFORMED_CHECKPOINT;
      case WRONG_ORIGIN -> Kind.ORIGIN_MISMATCH;
    };
  }

  private static String describe(
      String what, NoteVerifier verifier, NoteVerificationException e, String note) {
    return switch (kindOf(e, note)) {
      case MISSING_SIGNATURE ->
          what + ": missing signature (expected a signature line by " + verifier.keyId() + ")";
      case WRONG_KEY ->
          what
              + ": wrong key: not signed by the key in "
              + ExportDirectory.VERIFIER_KEY
              + ": "
              + e.getMessage();
      case BAD_SIGNATURE -> what + ": bad signature: " + e.getMessage();
      case ORIGIN_MISMATCH ->
          what
              + ": origin mismatch: the origin must be the key's name "
              + verifier.name()
              + ": "
              + e.getMessage();
      default -> what + " is not a signed checkpoint: " + e.getMessage();
    };
  }

  /** signed-note §Format: signatures follow the last blank line. */
  private static boolean hasSignatureLines(String note) {
    int blank = note.lastIndexOf("\n\n");
    return blank >= 0 && blank + 2 < note.length();
  }

  private static CompactRange readPrefix(ExportDirectory export) throws IOException, Stop {
    try {
      return export.readPrefix().map(ExportPrefix::toCompactRange).orElseGet(CompactRange::empty);
    } catch (MalformedExportException e) {
      throw new Stop(
          Failed.of(Check.PREFIX, Kind.MALFORMED_PREFIX, "prefix malformed: " + e.getMessage()));
    }
  }

  private static byte[] nextRecord(RecordLines records) throws IOException, Stop {
    try {
      return records.next();
    } catch (MalformedExportException e) {
      Kind kind = e.isTruncatedLine() ? Kind.TRUNCATED_LINE : Kind.NOT_A_RECORD;
      throw new Stop(
          new Failed(Check.SEQUENCE, kind, e.line(), OptionalLong.empty(), e.getMessage()));
    }
  }

  /** The two keys the checks need; {@code prev} is null when absent. */
  private record RecordHead(long seq, String prev) {}

  /**
   * Reads {@code seq} and {@code prev} and checks that the line is one JSON object (with no
   * duplicate keys, which readers could resolve differently); the rest of the record is opaque.
   */
  private static RecordHead readHead(byte[] record, long line) throws IOException, Stop {
    if (record.length == 0) {
      throw new Stop(notARecord(line, "is empty"));
    }
    Long seq = null;
    String prev = null;
    try (JsonParser parser = JSON.createParser(record)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new Stop(notARecord(line, "is not a JSON object"));
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if (name.equals("seq")) {
          if (value != JsonToken.VALUE_NUMBER_INT
              || parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw new Stop(notARecord(line, "has a seq that is not an integer"));
          }
          seq = parser.getLongValue();
        } else if (name.equals("prev")) {
          if (value != JsonToken.VALUE_STRING) {
            throw new Stop(notARecord(line, "has a prev that is not a string"));
          }
          prev = parser.getText();
        } else {
          parser.skipChildren();
        }
      }
      if (parser.nextToken() != null) {
        throw new Stop(notARecord(line, "has more after its JSON object"));
      }
    } catch (JsonProcessingException e) {
      throw new Stop(notARecord(line, "is not a JSON object: " + e.getOriginalMessage()));
    }
    if (seq == null) {
      throw new Stop(notARecord(line, "has no seq"));
    }
    return new RecordHead(seq, prev);
  }

  private static Failed notARecord(long line, String problem) {
    return new Failed(
        Check.SEQUENCE,
        Kind.NOT_A_RECORD,
        OptionalLong.of(line),
        OptionalLong.empty(),
        "line "
            + line
            + " of "
            + ExportDirectory.RECORDS
            + " "
            + problem
            + " (expected a record: one JSON object with an integer seq)");
  }

  private static Failed seqMismatch(long line, long seq, long expected, long firstSeq) {
    String hint = "";
    if (line == 1 && firstSeq == 0 && seq > 0) {
      hint =
          "; an export that starts after seq 0 carries "
              + ExportDirectory.PREFIX
              + ", and there is none";
    } else if (line == 1) {
      hint = "; " + ExportDirectory.PREFIX + " covers seq 0 to " + (firstSeq - 1);
    }
    return new Failed(
        Check.SEQUENCE,
        Kind.SEQ_MISMATCH,
        OptionalLong.of(line),
        OptionalLong.of(seq),
        "records dropped, inserted or reordered: line "
            + line
            + " has seq "
            + seq
            + " (expected "
            + expected
            + hint
            + ")");
  }

  /** Check 3 for one line: a broken link names the record before it as the edited one. */
  private static Failed checkPrev(long line, RecordHead head, byte[] leafBefore) {
    String expected = HEX.formatHex(leafBefore);
    if (expected.equals(head.prev())) {
      return null;
    }
    String found = head.prev() == null ? "no prev" : "prev " + head.prev();
    return new Failed(
        Check.CHAIN,
        Kind.EDITED,
        OptionalLong.of(line - 1),
        OptionalLong.of(head.seq() - 1),
        "record edited: line "
            + (line - 1)
            + " (seq "
            + (head.seq() - 1)
            + ") was edited, or the prev of the line after it: line "
            + line
            + " (seq "
            + head.seq()
            + ") has "
            + found
            + " (expected "
            + expected
            + ", the leaf hash of line "
            + (line - 1)
            + ")");
  }

  private static Failed truncated(long lines, long lastSeq, long size, long checkpointSize) {
    String end =
        lines == 0
            ? ExportDirectory.RECORDS + " has no records"
            : ExportDirectory.RECORDS + " ends at line " + lines + " (seq " + lastSeq + ")";
    long missing = checkpointSize - size;
    return new Failed(
        Check.SIZE,
        Kind.TRUNCATED,
        OptionalLong.empty(),
        OptionalLong.of(size),
        "records truncated: "
            + end
            + " but the checkpoint's tree has "
            + checkpointSize
            + " records (expected seq "
            + size
            + " to "
            + (checkpointSize - 1)
            + " too: "
            + missing
            + (missing == 1 ? " record is" : " records are")
            + " missing at the end)");
  }

  private static Failed extra(
      long extraLine, long extraSeq, long size, long checkpointSize, long firstSeq) {
    if (extraLine == 0) {
      // No record at all is within the checkpoint: the prefix alone is larger.
      return Failed.of(
          Check.SIZE,
          Kind.EXTRA_RECORDS,
          "extra records: "
              + ExportDirectory.PREFIX
              + " covers "
              + firstSeq
              + " records, more than the checkpoint's tree size "
              + checkpointSize);
    }
    return new Failed(
        Check.SIZE,
        Kind.EXTRA_RECORDS,
        OptionalLong.of(extraLine),
        OptionalLong.of(extraSeq),
        "extra records: line "
            + extraLine
            + " (seq "
            + extraSeq
            + ")"
            + (size - extraSeq == 1 ? " is" : " and the " + (size - extraSeq - 1) + " after it are")
            + " beyond the checkpoint's tree size "
            + checkpointSize
            + " (expected the last record to be seq "
            + (checkpointSize - 1)
            + ")");
  }

  private static Failed rootMismatch(
      long lines, long lastSeq, byte[] root, Checkpoint checkpoint, long firstSeq) {
    String roots =
        "the root recomputed from "
            + (firstSeq > 0 ? ExportDirectory.PREFIX + " and " : "")
            + "the records is "
            + base64(root)
            + " (expected the checkpoint's "
            + base64(checkpoint.rootHash())
            + ")";
    if (lines == 0) {
      return Failed.of(
          Check.ROOT,
          Kind.EDITED,
          (firstSeq > 0
                  ? "root mismatch: a hash in " + ExportDirectory.PREFIX + " was edited: "
                  : "root mismatch: the checkpoint of the empty tree was not signed over its root: ")
              + roots);
    }
    return new Failed(
        Check.ROOT,
        Kind.EDITED,
        OptionalLong.of(lines),
        OptionalLong.of(lastSeq),
        "record edited: the last record, line "
            + lines
            + " (seq "
            + lastSeq
            + "), was edited"
            + (firstSeq > 0 ? ", or a hash in " + ExportDirectory.PREFIX : "")
            + ": "
            + roots);
  }

  private static void checkPrevious(
      Checkpoint previous, Checkpoint checkpoint, long firstSeq, byte[] rootAtPrevious)
      throws Stop {
    if (previous.size() > checkpoint.size()) {
      throw new Stop(
          Failed.of(
              Check.PREVIOUS,
              Kind.INCONSISTENT,
              "inconsistent with previous checkpoint: its tree size "
                  + previous.size()
                  + " is larger than this export's "
                  + checkpoint.size()
                  + " (expected no larger: the log only grows; records were removed, or this"
                  + " export is older than that checkpoint)"));
    }
    if (previous.size() < firstSeq) {
      throw new Stop(
          Failed.of(
              Check.PREVIOUS,
              Kind.PREVIOUS_NOT_COVERED,
              "consistency with the previous checkpoint cannot be checked from this export: its"
                  + " tree size "
                  + previous.size()
                  + " ends before seq "
                  + firstSeq
                  + ", where this export starts ("
                  + ExportDirectory.PREFIX
                  + "), so its root cannot be recomputed (expected an export from seq "
                  + previous.size()
                  + " or earlier)"));
    }
    if (rootAtPrevious == null) {
      throw new IllegalStateException(
          "no root at size " + previous.size() + " after streaming to " + checkpoint.size());
    }
    if (!MessageDigest.isEqual(rootAtPrevious, previous.rootHash())) {
      throw new Stop(
          Failed.of(
              Check.PREVIOUS,
              Kind.INCONSISTENT,
              "inconsistent with previous checkpoint: its root at tree size "
                  + previous.size()
                  + " is "
                  + base64(previous.rootHash())
                  + " but the first "
                  + previous.size()
                  + " records of this export hash to "
                  + base64(rootAtPrevious)
                  + " (expected equal: records before seq "
                  + previous.size()
                  + " were rewritten since)"));
    }
  }

  private static String base64(byte[] hash) {
    return Base64.getEncoder().encodeToString(hash);
  }

  /** Ends the run with a failure; carries no stack trace, it is control flow. */
  private static final class Stop extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Failed failed;

    Stop(Failed failed) {
      super(failed.message(), null, false, false);
      this.failed = failed;
    }
  }
}
