package dev.jitgw.audit.export;

import dev.jitgw.audit.store.AuditLog;
import dev.jitgw.audit.tree.CompactRange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Writes an export directory (docs/audit.md) from a log: the records {@code from} to {@code to}, a
 * checkpoint signed for the tree that ends with {@code to}, the verifier key, and — when {@code
 * from > 0} — the compact range of the records before it. Records are read in batches, so an export
 * of any size streams.
 */
public final class AuditExporter {
  private AuditExporter() {}

  /** What was exported. */
  public record Exported(long from, long to, long treeSize) {}

  /**
   * @param to the last record to export, inclusive; {@code -1} for the last one in the log
   * @throws IllegalArgumentException when the range is empty or outside the log
   */
  public static Exported export(AuditLog log, Path out, long from, long to) throws IOException {
    long size = log.size();
    long last = to < 0 ? size - 1 : to;
    if (size == 0) {
      throw new IllegalArgumentException("the audit log is empty");
    }
    if (from < 0 || from > last || last >= size) {
      throw new IllegalArgumentException(
          "records " + from + ".." + last + " are not in the log (it holds 0.." + (size - 1) + ")");
    }
    Optional<ExportPrefix> prefix =
        from == 0
            ? Optional.empty()
            : Optional.of(ExportPrefix.of(CompactRange.of(from, log.compactRange(from))));
    String checkpoint = log.checkpoint(last + 1);
    try {
      ExportDirectory.write(
          out, log.records(from, last + 1), checkpoint, log.verifierKey(), prefix);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return new Exported(from, last, last + 1);
  }
}
