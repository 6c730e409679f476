package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.core.io.AtomicFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * A JSON file rewritten whole and atomically ({@link AtomicFile}: a temporary file, fsynced, then
 * moved over the old one) after every change, by one writer at a time with group commit: every
 * change made while a write runs shares the next write, and each change's stage completes once a
 * write that includes it is on disk. Readers of the file therefore see the state before or after a
 * write, never half of one, also after a power loss.
 */
final class SnapshotFile {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Path file;
  private final String what;
  private final Executor writer;
  private final Supplier<byte[]> snapshot;
  private final Object lock = new Object();
  private final Object writeLock = new Object();

  /** Guarded by {@link #lock}: changes counted, attempted and written. */
  private long requested;

  private long attempted;
  private long written;
  private boolean draining;
  private boolean closed;
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

  private record Waiter(long version, CompletableFuture<Void> durable) {}

  /**
   * @param what names the file's content in messages ("approvals")
   * @param writer runs the writes (blocking: fsync); never an event loop
   * @param snapshot the whole content as it is now, taken under the owner's lock
   */
  SnapshotFile(Path file, String what, Executor writer, Supplier<byte[]> snapshot) {
    this.file = requireNonNull(file, "file");
    this.what = requireNonNull(what, "what");
    this.writer = requireNonNull(writer, "writer");
    this.snapshot = requireNonNull(snapshot, "snapshot");
  }

  Path file() {
    return file;
  }

  /**
   * Reads the file as a JSON object, or returns empty when it does not exist.
   *
   * @throws UncheckedIOException naming the file when it cannot be read or is not a JSON object
   */
  static Optional<JsonNode> read(Path file, String what) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      JsonNode root = MAPPER.readTree(Files.readAllBytes(file));
      if (root == null || !root.isObject()) {
        throw new IOException("not a JSON object");
      }
      return Optional.of(root);
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException("cannot read the " + what + " in " + file + ": " + e.getMessage(), e));
    }
  }

  /**
   * Records that the content changed (call it after the change is visible to {@code snapshot}) and
   * returns a stage that completes once a write including the change is on disk, or fails with the
   * write's {@link UncheckedIOException}.
   */
  CompletableFuture<Void> changed() {
    CompletableFuture<Void> durable = new CompletableFuture<>();
    boolean start;
    synchronized (lock) {
      if (closed) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("the " + what + " file " + file + " is closed"));
      }
      requested++;
      waiting.add(new Waiter(requested, durable));
      start = !draining;
      draining = true;
    }
    if (start) {
      try {
        writer.execute(this::drain);
      } catch (RejectedExecutionException e) {
        List<Waiter> failed;
        synchronized (lock) {
          draining = false;
          failed = new ArrayList<>(waiting);
          waiting.clear();
          attempted = requested;
        }
        for (Waiter waiter : failed) {
          waiter.durable().completeExceptionally(e);
        }
      }
    }
    return durable;
  }

  /** Writes until every change requested so far was attempted; runs on the writer. */
  private void drain() {
    while (true) {
      long target;
      synchronized (lock) {
        if (attempted >= requested) {
          draining = false;
          return;
        }
        target = requested;
      }
      RuntimeException failure = null;
      try {
        writeNow();
      } catch (RuntimeException e) {
        failure = e;
      }
      finish(target, failure);
    }
  }

  /**
   * Writes the current content now, on the calling thread, if a change is not on disk yet.
   * Blocking.
   *
   * @throws UncheckedIOException when the file cannot be written; the previous file stays intact
   */
  void flush() {
    long target;
    synchronized (lock) {
      if (written >= requested && Files.exists(file)) {
        return;
      }
      target = requested;
    }
    RuntimeException failure = null;
    try {
      writeNow();
    } catch (RuntimeException e) {
      failure = e;
    }
    finish(target, failure);
    if (failure != null) {
      throw failure;
    }
  }

  /** Flushes, then refuses further changes. */
  void close() {
    synchronized (lock) {
      closed = true;
    }
    flush();
  }

  private void finish(long target, RuntimeException failure) {
    List<Waiter> done = new ArrayList<>();
    synchronized (lock) {
      attempted = Math.max(attempted, target);
      if (failure == null) {
        written = Math.max(written, target);
      }
      while (!waiting.isEmpty() && waiting.peek().version() <= target) {
        done.add(waiting.poll());
      }
    }
    for (Waiter waiter : done) {
      if (failure == null) {
        waiter.durable().complete(null);
      } else {
        waiter.durable().completeExceptionally(failure);
      }
    }
  }

  /** Takes the snapshot and writes it atomically. */
  void writeNow() {
    synchronized (writeLock) {
      byte[] bytes = snapshot.get();
      try {
        AtomicFile.write(file, bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(
            new IOException("cannot write the " + what + " to " + file + ": " + e, e));
      }
    }
  }
}
