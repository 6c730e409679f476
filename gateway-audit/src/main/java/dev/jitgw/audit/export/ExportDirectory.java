package dev.jitgw.audit.export;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.jitgw.core.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Optional;

/**
 * An export directory of docs/audit.md §Export: {@value #RECORDS} (the records, one per line),
 * {@value #CHECKPOINT} (the signed checkpoint of the tree that ends with the last record), {@value
 * #VERIFIER_KEY} (the verifier key line) and, for an export that starts after seq 0, {@value
 * #PREFIX} (the compact range of the records before it).
 *
 * <p>Reading only reads: nothing here checks a signature or a hash ({@link ExportVerifier} does).
 * Writing ({@link #write}) puts each file in place whole: written to a temporary name in the same
 * directory, flushed to disk, then moved over the final name.
 */
public final class ExportDirectory {

  public static final String RECORDS = "records.jsonl";
  public static final String CHECKPOINT = "checkpoint";
  public static final String VERIFIER_KEY = "verifier.key";
  public static final String PREFIX = "prefix.json";

  /** A checkpoint note is a few hundred bytes; a larger file is not one, so it is not read. */
  private static final long MAX_SMALL_FILE_BYTES = 64 * 1024;

  private final Path directory;

  private ExportDirectory(Path directory) {
    this.directory = directory;
  }

  /** The export in {@code directory}; nothing is read yet. */
  public static ExportDirectory at(Path directory) {
    return new ExportDirectory(requireNonNull(directory, "directory"));
  }

  public Path directory() {
    return directory;
  }

  /** The path of one of the export's files, e.g. {@link #RECORDS}. */
  public Path file(String name) {
    return directory.resolve(requireNonNull(name, "name"));
  }

  /**
   * Streams {@value #RECORDS}; the caller closes it.
   *
   * @throws java.nio.file.NoSuchFileException when it is missing
   */
  public RecordLines openRecords() throws IOException {
    return RecordLines.open(file(RECORDS));
  }

  /**
   * The text of {@value #CHECKPOINT}, the signed note, as written.
   *
   * @throws java.nio.file.NoSuchFileException when it is missing
   * @throws MalformedExportException when it is not UTF-8 or too large to be a checkpoint
   */
  public String readCheckpoint() throws IOException {
    return readUtf8(file(CHECKPOINT));
  }

  /**
   * The verifier key line of {@value #VERIFIER_KEY}, without surrounding white space (the file ends
   * in a newline).
   *
   * @throws java.nio.file.NoSuchFileException when it is missing
   * @throws MalformedExportException when it is not UTF-8 or too large to be a key
   */
  public String readVerifierKey() throws IOException {
    return readUtf8(file(VERIFIER_KEY)).strip();
  }

  /**
   * The prefix of {@value #PREFIX}, or empty when the file is not there (an export from seq 0).
   *
   * @throws MalformedExportException when it is there and is not a compact range
   */
  public Optional<ExportPrefix> readPrefix() throws IOException {
    Path path = file(PREFIX);
    if (Files.notExists(path)) {
      return Optional.empty();
    }
    if (Files.size(path) > ExportPrefix.MAX_FILE_BYTES) {
      throw new MalformedExportException(
          PREFIX
              + " is "
              + Files.size(path)
              + " bytes (expected at most "
              + ExportPrefix.MAX_FILE_BYTES
              + ": 64 hashes)");
    }
    return Optional.of(ExportPrefix.parse(Files.readAllBytes(path)));
  }

  /**
   * Reads a small text file (a checkpoint, a key) that must be UTF-8; shared with the verifier for
   * {@code --previous}.
   */
  static String readUtf8(Path path) throws IOException {
    long size = Files.size(path);
    if (size > MAX_SMALL_FILE_BYTES) {
      throw new MalformedExportException(
          path.getFileName()
              + " is "
              + size
              + " bytes (expected at most "
              + MAX_SMALL_FILE_BYTES
              + ")");
    }
    try {
      return UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(Files.readAllBytes(path)))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedExportException(path.getFileName() + " is not valid UTF-8", e);
    }
  }

  /**
   * Writes an export into {@code directory} (created if missing): the records, each followed by a
   * newline; the signed checkpoint as given; the verifier key line and a newline; the prefix when
   * given, and otherwise removes a {@value #PREFIX} left by an earlier export, which would not
   * belong to this one. {@value #CHECKPOINT} is written last, so a directory whose checkpoint is
   * new holds every other file of the same export.
   *
   * @param records the record bytes in seq order, each without a newline and at most {@value
   *     RecordLines#MAX_RECORD_BYTES} bytes; the iterator is consumed as the file is written
   * @param signedCheckpoint the signed note of the tree that ends with the last record
   * @param verifierKey the verifier key line, without newline
   * @param prefix the compact range of the records before the first one, when it is not seq 0
   * @throws IllegalArgumentException when a record or the key would break the line format; what was
   *     written of this export is not moved into place
   */
  public static void write(
      Path directory,
      Iterator<byte[]> records,
      String signedCheckpoint,
      String verifierKey,
      Optional<ExportPrefix> prefix)
      throws IOException {
    requireNonNull(directory, "directory");
    requireNonNull(records, "records");
    requireNonNull(signedCheckpoint, "signedCheckpoint");
    requireNonNull(verifierKey, "verifierKey");
    requireNonNull(prefix, "prefix");
    if (verifierKey.isEmpty() || verifierKey.indexOf('\n') >= 0) {
      throw new IllegalArgumentException(
          "verifierKey: " + verifierKey + " (expected: one non-empty line)");
    }
    Files.createDirectories(directory);
    AtomicFile.write(
        directory.resolve(RECORDS),
        out -> {
          long index = 0;
          while (records.hasNext()) {
            byte[] record = requireNonNull(records.next(), "records[" + index + "]");
            requireRecordLine(record, index);
            out.write(record);
            out.write('\n');
            index++;
          }
        });
    if (prefix.isPresent()) {
      AtomicFile.write(
          directory.resolve(PREFIX), out -> out.write(prefix.get().toJson().getBytes(UTF_8)));
    } else {
      Files.deleteIfExists(directory.resolve(PREFIX));
    }
    AtomicFile.write(
        directory.resolve(VERIFIER_KEY), out -> out.write((verifierKey + "\n").getBytes(UTF_8)));
    AtomicFile.write(
        directory.resolve(CHECKPOINT), out -> out.write(signedCheckpoint.getBytes(UTF_8)));
  }

  private static void requireRecordLine(byte[] record, long index) {
    if (record.length > RecordLines.MAX_RECORD_BYTES) {
      throw new IllegalArgumentException(
          "records["
              + index
              + "].length: "
              + record.length
              + " (expected: <= "
              + RecordLines.MAX_RECORD_BYTES
              + ")");
    }
    for (byte b : record) {
      if (b == '\n') {
        throw new IllegalArgumentException(
            "records[" + index + "] contains a newline (expected: one line; JSON escapes them)");
      }
    }
  }

  @Override
  public String toString() {
    return "ExportDirectory[" + directory + "]";
  }
}
