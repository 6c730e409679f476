package dev.jitgw.policy.limits;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.core.io.AtomicFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory counters, persisted to {@code counters.json} in a directory (the gateway uses
 * {@code {data_dir}/limits/}) so that budgets survive a restart. The file is rewritten whole,
 * atomically (a temporary file, fsynced, then moved over the old one), every interval when a
 * counter changed and at {@link #close}; it is loaded at start, dropping windows that have ended.
 *
 * <p>Durability trade-off: counting stays in memory and never waits for a disk, so a crash loses at
 * most the changes of the last interval (a caller may get that much extra after a crash, never
 * more). A clean shutdown loses nothing. Reservations still in flight when the snapshot is taken
 * are saved at their worst case: after a restart nobody can settle them, so they stay counted at
 * that worst case until their window ends. A store with a write-ahead log (RocksDB) can replace
 * this one behind {@link LimitStore} if a tighter bound is needed.
 */
public final class SnapshotLimitStore implements LimitStore {
  /** The snapshot's file name inside the store's directory. */
  public static final String FILE_NAME = "counters.json";

  private static final Logger log = LoggerFactory.getLogger(SnapshotLimitStore.class);
  private static final int FORMAT_VERSION = 1;
  private static final JsonFactory JSON = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

  private final InMemoryLimitStore memory;
  private final Path file;
  private final Object flushLock = new Object();

  /** Guarded by {@link #flushLock}: the counters' version the file holds. */
  private long flushedVersion;

  private volatile ScheduledFuture<?> periodicFlush;
  private volatile boolean closed;

  private SnapshotLimitStore(InMemoryLimitStore memory, Path file) {
    this.memory = memory;
    this.file = file;
    this.flushedVersion = memory.version();
  }

  /**
   * Loads the counters from {@code directory} (created if needed) and writes them back only at
   * {@link #flush} and {@link #close}.
   *
   * @throws UncheckedIOException when the directory cannot be created or the snapshot cannot be
   *     read; the message names the file. Counters are not silently reset: removing the file is the
   *     operator's decision.
   */
  public static SnapshotLimitStore open(Path directory, Clock clock) {
    requireNonNull(directory, "directory");
    requireNonNull(clock, "clock");
    Path file = directory.resolve(FILE_NAME);
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException("cannot create the limit counters directory " + directory + ": " + e, e));
    }
    Map<WindowedKey, Long> loaded = Files.exists(file) ? read(file) : Map.of();
    return new SnapshotLimitStore(new InMemoryLimitStore(clock, loaded), file);
  }

  /**
   * Like {@link #open(Path, Clock)}, and also flushes every {@code interval} on {@code flusher} (a
   * blocking executor: the flush writes and fsyncs a file). A failed periodic flush is logged and
   * retried at the next interval.
   */
  public static SnapshotLimitStore open(
      Path directory, Clock clock, ScheduledExecutorService flusher, Duration interval) {
    requireNonNull(flusher, "flusher");
    requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
    }
    SnapshotLimitStore store = open(directory, clock);
    long millis = Math.max(1, interval.toMillis());
    store.periodicFlush =
        flusher.scheduleWithFixedDelay(store::flushQuietly, millis, millis, TimeUnit.MILLISECONDS);
    return store;
  }

  /** Where the snapshot is written. */
  public Path file() {
    return file;
  }

  /** Answers at once from memory; fails with {@link IllegalStateException} once closed. */
  @Override
  public CompletionStage<Result> reserve(List<Charge> charges) {
    if (closed) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("limit store " + file + " is closed"));
    }
    return memory.reserve(charges);
  }

  @Override
  public CompletionStage<Void> settle(List<Adjustment> adjustments) {
    // Settles after close are dropped: the last snapshot already counts their worst case.
    if (closed) {
      return CompletableFuture.completedFuture(null);
    }
    return memory.settle(adjustments);
  }

  @Override
  public CompletionStage<Long> used(CounterKey key, Instant at) {
    return memory.used(key, at);
  }

  /**
   * Writes the counters to the file if they changed since the last write. Blocking: call it from a
   * blocking executor, never from an event loop.
   *
   * @throws UncheckedIOException when the file cannot be written; the previous file stays intact
   */
  public void flush() {
    synchronized (flushLock) {
      InMemoryLimitStore.Snapshot snapshot = memory.snapshot();
      if (snapshot.version() == flushedVersion && Files.exists(file)) {
        return;
      }
      write(snapshot.counters());
      flushedVersion = snapshot.version();
    }
  }

  /** Stops the periodic flush and writes the last snapshot. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    // Closed first: a reserve racing the close fails rather than being counted after the write.
    closed = true;
    ScheduledFuture<?> periodic = periodicFlush;
    if (periodic != null) {
      periodic.cancel(false);
    }
    flush();
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      log.warn("cannot write the limit counters to {}; retrying at the next interval", file, e);
    }
  }

  private void write(Map<WindowedKey, Long> counters) {
    List<Map.Entry<WindowedKey, Long>> entries = new ArrayList<>(counters.entrySet());
    // A stable order keeps successive files comparable by eye.
    entries.sort(
        Comparator.<Map.Entry<WindowedKey, Long>, String>comparing(e -> e.getKey().key().scope())
            .thenComparing(e -> e.getKey().key().kind())
            .thenComparing(e -> e.getKey().key().window())
            .thenComparing(e -> e.getKey().windowStart()));
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 128 * entries.size());
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeNumberField("version", FORMAT_VERSION);
      json.writeArrayFieldStart("counters");
      for (Map.Entry<WindowedKey, Long> entry : entries) {
        CounterKey key = entry.getKey().key();
        json.writeStartObject();
        json.writeStringField("scope", key.scope());
        json.writeStringField("kind", key.kind().id());
        json.writeStringField("window", key.window().id());
        json.writeStringField("window_start", entry.getKey().windowStart().toString());
        json.writeNumberField("used", entry.getValue());
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      AtomicFile.write(file, out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException("cannot write the limit counters to " + file + ": " + e, e));
    }
  }

  private static Map<WindowedKey, Long> read(Path file) {
    try {
      JsonNode root = MAPPER.readTree(Files.readAllBytes(file));
      if (root == null || !root.isObject()) {
        throw new IOException("not a JSON object");
      }
      int version = root.path("version").asInt(-1);
      if (version != FORMAT_VERSION) {
        throw new IOException("version: " + version + " (expected: " + FORMAT_VERSION + ")");
      }
      JsonNode list = root.path("counters");
      if (!list.isArray()) {
        throw new IOException("counters: not an array");
      }
      Map<WindowedKey, Long> counters = new HashMap<>();
      for (JsonNode counter : list) {
        JsonNode used = counter.path("used");
        if (!used.canConvertToLong() || !used.isIntegralNumber() || used.asLong() < 0) {
          throw new IOException("counter " + counter + ": used is not a count");
        }
        try {
          CounterKey key =
              new CounterKey(
                  counter.path("scope").asText(""),
                  CounterKey.Kind.fromId(counter.path("kind").asText("")),
                  CounterKey.Window.fromId(counter.path("window").asText("")));
          Instant start = Instant.parse(counter.path("window_start").asText(""));
          counters.merge(new WindowedKey(key, start), used.asLong(), Long::sum);
        } catch (IllegalArgumentException | DateTimeException e) {
          throw new IOException("counter " + counter + ": " + e.getMessage(), e);
        }
      }
      return counters;
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException(
              "cannot read the limit counters in "
                  + file
                  + ": "
                  + e.getMessage()
                  + " (remove the file to start every counter from zero)",
              e));
    }
  }
}
