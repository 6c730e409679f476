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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Approvals in memory, persisted to {@code approvals.json} in a directory (the gateway uses {@code
 * {data_dir}/approvals/}): the file is rewritten whole and atomically after every change (group
 * commit on a writer executor; approvals are low volume), and loaded at start.
 *
 * <p>At start every approval still {@link Approval.State#PENDING} becomes {@link
 * Approval.State#ABANDONED}: the connections that waited for it died with the previous process, so
 * no decision could reach them. Those are kept in {@link #abandonedAtOpen()} for the caller to
 * record. Decided approvals stay for history, the newest {@link #DEFAULT_HISTORY} (or the count
 * given to {@link #open(Path, Clock, Executor, int)}); older ones are dropped from the file (the
 * audit log keeps every step). Pending approvals are never dropped.
 */
public final class FileApprovalStore implements ApprovalStore {
  /** The file's name inside the store's directory. */
  public static final String FILE_NAME = "approvals.json";

  /** Decided approvals kept by default: about 1 KB each in the file. */
  public static final int DEFAULT_HISTORY = 10_000;

  private static final int FORMAT_VERSION = 1;
  private static final JsonFactory JSON = new JsonFactory();

  private final SnapshotFile file;
  private final int history;
  private final List<Approval> abandonedAtOpen;

  /** Guarded by {@code this}: every approval by id (ids sort by creation time). */
  private final TreeMap<String, Approval> approvals;

  /** Guarded by {@code this}: how many of {@link #approvals} are decided. */
  private int decided;

  private FileApprovalStore(
      Path path,
      Executor writer,
      int history,
      TreeMap<String, Approval> loaded,
      List<Approval> ab) {
    this.history = history;
    this.approvals = loaded;
    this.decided = (int) loaded.values().stream().filter(a -> !a.isPending()).count();
    this.abandonedAtOpen = List.copyOf(ab);
    this.file = new SnapshotFile(path, "approvals", writer, this::serialize);
  }

  /** Opens the store with the default history of {@link #DEFAULT_HISTORY} decided approvals. */
  public static FileApprovalStore open(Path directory, Clock clock, Executor writer) {
    return open(directory, clock, writer, DEFAULT_HISTORY);
  }

  /**
   * Loads the approvals in {@code directory} (created if needed), abandons those still pending, and
   * writes the file back at once when that changed anything. Blocking.
   *
   * @param writer runs the file writes (blocking: fsync); never an event loop
   * @param history decided approvals kept, newest first
   * @throws UncheckedIOException when the directory cannot be created or the file cannot be read or
   *     written; the message names the file. Nothing is silently reset: moving the file away is the
   *     operator's decision.
   */
  public static FileApprovalStore open(Path directory, Clock clock, Executor writer, int history) {
    requireNonNull(directory, "directory");
    requireNonNull(clock, "clock");
    requireNonNull(writer, "writer");
    if (history < 0) {
      throw new IllegalArgumentException("history: " + history + " (expected: >= 0)");
    }
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException("cannot create the approvals directory " + directory + ": " + e, e));
    }
    Path path = directory.resolve(FILE_NAME);
    TreeMap<String, Approval> loaded = new TreeMap<>();
    List<Approval> abandoned = new ArrayList<>();
    Optional<JsonNode> root = SnapshotFile.read(path, "approvals");
    if (root.isPresent()) {
      Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
      try {
        int version = root.get().path("version").asInt(-1);
        if (version != FORMAT_VERSION) {
          throw new IllegalArgumentException(
              "version: " + version + " (expected: " + FORMAT_VERSION + ")");
        }
        JsonNode list = root.get().path("approvals");
        if (!list.isArray()) {
          throw new IllegalArgumentException("approvals: not an array");
        }
        for (JsonNode node : list) {
          Approval approval = ApprovalJson.readApproval(node);
          if (approval.isPending()) {
            approval =
                approval.next(Approval.State.ABANDONED, approval.decisions(), Optional.of(now));
            abandoned.add(approval);
          }
          if (loaded.put(approval.id(), approval) != null) {
            throw new IllegalArgumentException("approval " + approval.id() + " appears twice");
          }
        }
      } catch (IllegalArgumentException e) {
        throw new UncheckedIOException(
            new IOException(
                "cannot read the approvals in "
                    + path
                    + ": "
                    + e.getMessage()
                    + " (move the file away to start with no approval history)",
                e));
      }
    }
    FileApprovalStore store = new FileApprovalStore(path, writer, history, loaded, abandoned);
    boolean pruned;
    synchronized (store) {
      pruned = store.prune();
    }
    if (!abandoned.isEmpty() || pruned) {
      store.file.writeNow();
    }
    return store;
  }

  /** Where the approvals are written. */
  public Path file() {
    return file.file();
  }

  /**
   * The approvals that were pending in the file when the store opened, now {@link
   * Approval.State#ABANDONED} (the held connections died with the previous process): for the caller
   * to record.
   */
  public List<Approval> abandonedAtOpen() {
    return abandonedAtOpen;
  }

  @Override
  public CompletionStage<Approval> create(Approval approval) {
    requireNonNull(approval, "approval");
    synchronized (this) {
      if (approvals.containsKey(approval.id())) {
        throw new IllegalArgumentException("approval " + approval.id() + " exists");
      }
      approvals.put(approval.id(), approval);
      if (!approval.isPending()) {
        decided++;
        prune();
      }
    }
    return file.changed().thenApply(v -> approval);
  }

  @Override
  public synchronized Optional<Approval> get(String id) {
    return Optional.ofNullable(approvals.get(requireNonNull(id, "id")));
  }

  @Override
  public synchronized Page list(
      Optional<Approval.State> state, int limit, Optional<String> before) {
    requireNonNull(state, "state");
    requireNonNull(before, "before");
    if (limit < 1 || limit > MAX_PAGE) {
      throw new IllegalArgumentException("limit: " + limit + " (expected: 1 to " + MAX_PAGE + ")");
    }
    NavigableMap<String, Approval> newestFirst =
        (before.isPresent() ? approvals.headMap(before.get(), false) : approvals).descendingMap();
    List<Approval> page = new ArrayList<>(limit);
    for (Approval approval : newestFirst.values()) {
      if (state.isPresent() && approval.state() != state.get()) {
        continue;
      }
      if (page.size() == limit) {
        return new Page(page, Optional.of(page.get(page.size() - 1).id()));
      }
      page.add(approval);
    }
    return new Page(page, Optional.empty());
  }

  @Override
  public CompletionStage<Boolean> compareAndSet(Approval expected, Approval updated) {
    requireNonNull(expected, "expected");
    requireNonNull(updated, "updated");
    if (!updated.id().equals(expected.id()) || updated.revision() != expected.revision() + 1) {
      throw new IllegalArgumentException(
          "updated: approval "
              + updated.id()
              + " revision "
              + updated.revision()
              + " (expected: approval "
              + expected.id()
              + " revision "
              + (expected.revision() + 1)
              + ")");
    }
    synchronized (this) {
      Approval current = approvals.get(expected.id());
      if (current == null || current.revision() != expected.revision()) {
        return CompletableFuture.completedFuture(false);
      }
      approvals.put(updated.id(), updated);
      if (current.isPending() && !updated.isPending()) {
        decided++;
        prune();
      }
    }
    return file.changed().thenApply(v -> true);
  }

  /** Writes what is not on disk yet, then refuses further changes. Blocking. */
  @Override
  public void close() {
    file.close();
  }

  /** Drops the oldest decided approvals beyond the history; whether it dropped any. */
  private boolean prune() {
    boolean pruned = false;
    Iterator<Map.Entry<String, Approval>> oldestFirst = approvals.entrySet().iterator();
    while (decided > history && oldestFirst.hasNext()) {
      if (!oldestFirst.next().getValue().isPending()) {
        oldestFirst.remove();
        decided--;
        pruned = true;
      }
    }
    return pruned;
  }

  private byte[] serialize() {
    List<Approval> all;
    synchronized (this) {
      all = new ArrayList<>(approvals.values());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 1024 * all.size());
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeNumberField("version", FORMAT_VERSION);
      json.writeArrayFieldStart("approvals");
      for (Approval approval : all) {
        ApprovalJson.write(json, approval);
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
