package dev.jitgw.audit.export;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Streams the records of a {@code records.jsonl} one line at a time, byte-exact: lines are split on
 * {@code \n} only (a {@code \r} before it is part of the record), and a record's bytes are its line
 * without the {@code \n}. Only one record is held at a time, so a 10 GB export is read in constant
 * memory. The bytes are never decoded or re-encoded: they are what the tree hashes (docs/audit.md
 * §Records).
 *
 * <p>Not thread-safe. Closing closes the stream.
 */
public final class RecordLines implements Closeable {

  /** docs/audit.md §Records: no record is larger than 64 KiB. */
  public static final int MAX_RECORD_BYTES = 64 * 1024;

  private static final int BUFFER_BYTES = 64 * 1024;

  private final InputStream in;
  private final String source;
  private final byte[] buffer = new byte[BUFFER_BYTES];
  private int position;
  private int limit;
  private byte[] line = new byte[1024];
  private long lineNumber;

  private RecordLines(InputStream in, String source) {
    this.in = in;
    this.source = source;
  }

  /** Reads {@code file}; {@link java.nio.file.NoSuchFileException} when it is not there. */
  public static RecordLines open(Path file) throws IOException {
    requireNonNull(file, "file");
    return new RecordLines(Files.newInputStream(file), file.getFileName().toString());
  }

  /** Reads {@code in}, named {@code source} in messages; closing this closes {@code in}. */
  public static RecordLines of(InputStream in, String source) {
    return new RecordLines(requireNonNull(in, "in"), requireNonNull(source, "source"));
  }

  /**
   * The next record's bytes, or {@code null} when the input ends right after a newline (or is
   * empty).
   *
   * @throws MalformedExportException when the last line has no newline ("truncated last line": the
   *     export was cut short, and what is there may be half a record) or a line is longer than
   *     {@value #MAX_RECORD_BYTES} bytes (no record is)
   */
  public byte[] next() throws IOException {
    int length = 0;
    while (true) {
      if (position == limit) {
        int read = in.read(buffer);
        if (read < 0) {
          if (length == 0) {
            return null;
          }
          throw MalformedExportException.truncatedLine(
              source
                  + " line "
                  + (lineNumber + 1)
                  + ": truncated last line ("
                  + length
                  + " bytes without the closing newline; expected every record to be followed by"
                  + " \\n, the export was cut short)",
              lineNumber + 1);
        }
        position = 0;
        limit = read;
        continue;
      }
      int end = indexOfNewline(position, limit);
      int chunk = (end < 0 ? limit : end) - position;
      if (length + chunk > MAX_RECORD_BYTES) {
        throw new MalformedExportException(
            source
                + " line "
                + (lineNumber + 1)
                + " is longer than "
                + MAX_RECORD_BYTES
                + " bytes (expected a record of at most 64 KiB per line)",
            lineNumber + 1);
      }
      if (length + chunk > line.length) {
        line =
            Arrays.copyOf(line, Math.min(MAX_RECORD_BYTES, Math.max(length + chunk, 2 * length)));
      }
      System.arraycopy(buffer, position, line, length, chunk);
      length += chunk;
      position += chunk;
      if (end >= 0) {
        position++; // the newline
        lineNumber++;
        return Arrays.copyOf(line, length);
      }
    }
  }

  /** The 1-based line number of the record {@link #next()} returned last; 0 before the first. */
  public long lineNumber() {
    return lineNumber;
  }

  private int indexOfNewline(int from, int to) {
    for (int i = from; i < to; i++) {
      if (buffer[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
