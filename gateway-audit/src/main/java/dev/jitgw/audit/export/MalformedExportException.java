package dev.jitgw.audit.export;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.OptionalLong;

/**
 * A file of an export directory is there but does not hold what docs/audit.md §Export says it
 * holds: a {@code records.jsonl} whose last line has no newline or whose line is longer than a
 * record can be, a {@code prefix.json} that is not a compact range, a {@code checkpoint} that is
 * not UTF-8. The message names the file, and the line when there is one.
 */
public final class MalformedExportException extends IOException {
  private static final long serialVersionUID = 1L;

  private final long line;
  private final boolean truncatedLine;

  /** A problem with a whole file. */
  public MalformedExportException(String message) {
    this(message, 0, false, null);
  }

  /** A problem with a whole file, found by a parser. */
  public MalformedExportException(String message, Throwable cause) {
    this(message, 0, false, cause);
  }

  /** A problem with the 1-based {@code line} of {@code records.jsonl}. */
  public MalformedExportException(String message, long line) {
    this(message, line, false, null);
  }

  private MalformedExportException(
      String message, long line, boolean truncatedLine, Throwable cause) {
    super(requireNonNull(message, "message"), cause);
    if (line < 0) {
      throw new IllegalArgumentException("line: " + line + " (expected: >= 1, or 0 for none)");
    }
    this.line = line;
    this.truncatedLine = truncatedLine;
  }

  /** The last {@code line} of {@code records.jsonl} has no newline: the export was cut short. */
  public static MalformedExportException truncatedLine(String message, long line) {
    if (line < 1) {
      throw new IllegalArgumentException("line: " + line + " (expected: >= 1)");
    }
    return new MalformedExportException(message, line, true, null);
  }

  /** Whether this is a {@link #truncatedLine truncated last line}. */
  public boolean isTruncatedLine() {
    return truncatedLine;
  }

  /** The 1-based line of {@code records.jsonl} at fault, when the problem is one line. */
  public OptionalLong line() {
    return line == 0 ? OptionalLong.empty() : OptionalLong.of(line);
  }
}
