package dev.jitgw.server.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.io.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Backs up a running gateway's data directory into {@code {data_dir}/backups/<UTC time>/}, which
 * then opens as a data directory of its own: the audit store as a RocksDB checkpoint (consistent,
 * hard-linked where the file system allows, taken while appends go on) with its checkpoint key, and
 * copies of the approval and grant stores, the limit counters and the token-signing keys (each
 * replaced atomically by the gateway, so a copy is a whole version of it). A {@code manifest.json}
 * says when and what. The backup holds private keys: keep it as private as the data directory.
 */
public final class DataDirectoryBackup {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter NAME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final List<String> COPIED = List.of("audit-key", "approvals", "limits", "keys");

  private final Path dataDirectory;
  private final RocksAuditLog auditLog;
  private final Clock clock;

  /** What a backup holds. */
  public record Result(Path directory, Instant createdAt, long auditRecords, List<String> files) {}

  public DataDirectoryBackup(Path dataDirectory, RocksAuditLog auditLog, Clock clock) {
    this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory");
    this.auditLog = requireNonNull(auditLog, "auditLog");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Takes one backup; a second one in the same second gets a suffix. */
  public synchronized Result backup() throws IOException {
    Instant now = clock.instant();
    Path backups = dataDirectory.resolve("backups");
    Files.createDirectories(backups);
    Path target = backups.resolve(NAME.format(now));
    for (int n = 1; Files.exists(target); n++) {
      target = backups.resolve(NAME.format(now) + "-" + n);
    }
    long records = auditLog.copyStoreTo(target.resolve("audit"));
    List<String> files = new ArrayList<>();
    for (String name : COPIED) {
      copyFiles(dataDirectory.resolve(name), target.resolve(name), target, files);
    }
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("created_at", now.toString());
    manifest.put("audit_records", records);
    manifest.putPOJO("files", files);
    AtomicFile.write(target.resolve("manifest.json"), JSON.writeValueAsBytes(manifest));
    return new Result(target, now, records, List.copyOf(files));
  }

  /** Copies the regular files of {@code from} (not the atomic writes' temporary files). */
  private static void copyFiles(Path from, Path to, Path root, List<String> copied)
      throws IOException {
    if (!Files.isDirectory(from)) {
      return;
    }
    Files.createDirectories(to);
    try (Stream<Path> listing = Files.list(from)) {
      for (Path file : listing.sorted().toList()) {
        String name = file.getFileName().toString();
        if (!Files.isRegularFile(file) || (name.startsWith(".") && name.endsWith(".tmp"))) {
          continue;
        }
        Path copy = to.resolve(name);
        Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
        copied.add(root.relativize(copy).toString());
      }
    }
  }
}
