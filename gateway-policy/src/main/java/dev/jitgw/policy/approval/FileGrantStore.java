package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Grants in memory, persisted to {@code grants.json} in a directory (the gateway uses {@code
 * {data_dir}/approvals/}), rewritten whole and atomically after every change and loaded at start.
 * Ended grants are dropped when the file is written and when it is loaded.
 */
public final class FileGrantStore implements GrantStore {
  /** The file's name inside the store's directory. */
  public static final String FILE_NAME = "grants.json";

  private static final int FORMAT_VERSION = 1;
  private static final JsonFactory JSON = new JsonFactory();

  private final Clock clock;
  private final SnapshotFile file;

  /** Guarded by {@code this}: one grant per subject and rule. */
  private final Map<Key, Grant> grants;

  private record Key(Subject subject, String rule) {}

  private FileGrantStore(Path path, Clock clock, Executor writer, Map<Key, Grant> loaded) {
    this.clock = clock;
    this.grants = loaded;
    this.file = new SnapshotFile(path, "grants", writer, this::serialize);
  }

  /**
   * Loads the grants in {@code directory} (created if needed). Blocking.
   *
   * @param writer runs the file writes (blocking: fsync); never an event loop
   * @throws UncheckedIOException when the directory cannot be created or the file cannot be read;
   *     the message names the file
   */
  public static FileGrantStore open(Path directory, Clock clock, Executor writer) {
    requireNonNull(directory, "directory");
    requireNonNull(clock, "clock");
    requireNonNull(writer, "writer");
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException("cannot create the grants directory " + directory + ": " + e, e));
    }
    Path path = directory.resolve(FILE_NAME);
    Map<Key, Grant> loaded = new HashMap<>();
    Optional<JsonNode> root = SnapshotFile.read(path, "grants");
    if (root.isPresent()) {
      Instant now = clock.instant();
      try {
        int version = root.get().path("version").asInt(-1);
        if (version != FORMAT_VERSION) {
          throw new IllegalArgumentException(
              "version: " + version + " (expected: " + FORMAT_VERSION + ")");
        }
        JsonNode list = root.get().path("grants");
        if (!list.isArray()) {
          throw new IllegalArgumentException("grants: not an array");
        }
        for (JsonNode node : list) {
          Grant grant = ApprovalJson.readGrant(node);
          if (grant.isActive(now)) {
            loaded.merge(
                new Key(grant.subject(), grant.rule()),
                grant,
                (a, b) -> a.until().isAfter(b.until()) ? a : b);
          }
        }
      } catch (IllegalArgumentException e) {
        throw new UncheckedIOException(
            new IOException(
                "cannot read the grants in "
                    + path
                    + ": "
                    + e.getMessage()
                    + " (move the file away to drop every grant)",
                e));
      }
    }
    return new FileGrantStore(path, clock, writer, loaded);
  }

  /** Where the grants are written. */
  public Path file() {
    return file.file();
  }

  @Override
  public CompletionStage<Grant> grant(
      Subject subject, String rule, Instant until, String approvalId) {
    requireNonNull(subject, "subject");
    requireNonNull(rule, "rule");
    requireNonNull(until, "until");
    requireNonNull(approvalId, "approvalId");
    Grant grant;
    synchronized (this) {
      Key key = new Key(subject, rule);
      Grant old = grants.get(key);
      Instant end = old != null && old.until().isAfter(until) ? old.until() : until;
      grant =
          new Grant(
              Ids.grant(clock),
              subject,
              rule,
              clock.instant().truncatedTo(ChronoUnit.MILLIS),
              end,
              approvalId);
      grants.put(key, grant);
    }
    return file.changed().thenApply(v -> grant);
  }

  @Override
  public synchronized Optional<Grant> active(Subject subject, String rule, Instant now) {
    Grant grant = grants.get(new Key(subject, rule));
    return grant != null && grant.isActive(now) ? Optional.of(grant) : Optional.empty();
  }

  @Override
  public synchronized List<Grant> list(Instant now) {
    return grants.values().stream()
        .filter(g -> g.isActive(now))
        .sorted(Comparator.comparing(Grant::id).reversed())
        .toList();
  }

  @Override
  public CompletionStage<Optional<Grant>> revoke(String id) {
    requireNonNull(id, "id");
    Grant revoked = null;
    synchronized (this) {
      for (Map.Entry<Key, Grant> entry : grants.entrySet()) {
        if (entry.getValue().id().equals(id)) {
          revoked = entry.getValue();
          grants.remove(entry.getKey());
          break;
        }
      }
    }
    if (revoked == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    Optional<Grant> result = Optional.of(revoked);
    return file.changed().thenApply(v -> result);
  }

  /** Writes what is not on disk yet, then refuses further changes. Blocking. */
  @Override
  public void close() {
    file.close();
  }

  private byte[] serialize() {
    Instant now = clock.instant();
    List<Grant> active;
    synchronized (this) {
      grants.values().removeIf(g -> !g.isActive(now));
      active = new ArrayList<>(grants.values());
    }
    active.sort(Comparator.comparing(Grant::id));
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 256 * active.size());
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeNumberField("version", FORMAT_VERSION);
      json.writeArrayFieldStart("grants");
      for (Grant grant : active) {
        ApprovalJson.write(json, grant);
      }
      json.writeEndArray();
      json.writeEndObject();
      json.writeRaw('\n');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
