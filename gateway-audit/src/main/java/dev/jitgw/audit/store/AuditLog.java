package dev.jitgw.audit.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The append-only audit log of one gateway node: what the data plane records into and what the
 * admin API and exports read from. Nothing here updates or removes a record.
 *
 * <p>Today one implementation keeps it in RocksDB in the data directory ({@link RocksAuditLog}); a
 * multi-node deployment would ship each node's log elsewhere behind the same interface.
 */
public interface AuditLog extends AutoCloseable {

  /**
   * Appends {@code records} contiguously and atomically: the future completes with the first one's
   * {@code seq} once all of them are durable, or fails with {@link AuditUnavailableException} when
   * the log cannot make them so. A failed append's records may still be found in the log after it
   * recovers, all of them or none, when their bytes reached the store before the failure (they are
   * kept, never overwritten); a completed one's are always there. Never blocks.
   */
  CompletableFuture<Long> append(List<AuditRecord> records);

  default CompletableFuture<Long> append(AuditRecord record) {
    return append(List.of(record));
  }

  /**
   * As {@link #append(List)}, for records no caller waits for (a response's chunks and end): the
   * log may write them without a sync and complete them with the next awaited write's sync (or a
   * few milliseconds later), rather than make that write wait for a sync of their own. Order with
   * every other append is kept.
   */
  default CompletableFuture<Long> appendUnawaited(List<AuditRecord> records) {
    return append(records);
  }

  /** Whether the last write succeeded (readiness): false from a failed write until one succeeds. */
  boolean healthy();

  /** The number of durable records, i.e. the next record's {@code seq}. */
  long size();

  /** Calls {@code sink} with the bytes of records {@code from} to {@code toExclusive}, in order. */
  void forEachRecord(long from, long toExclusive, Consumer<byte[]> sink) throws IOException;

  /**
   * Records {@code from} to {@code toExclusive} in order, read {@value #READ_BATCH} at a time, so a
   * range of any size streams and no store lock is held between batches (a slow consumer never
   * holds up the writer). A read failure surfaces as an {@link java.io.UncheckedIOException}.
   */
  default Iterator<byte[]> records(long from, long toExclusive) {
    return new Iterator<>() {
      private final ArrayDeque<byte[]> batch = new ArrayDeque<>();
      private long next = from;

      @Override
      public boolean hasNext() {
        if (batch.isEmpty() && next < toExclusive) {
          long end = Math.min(toExclusive, next + READ_BATCH);
          try {
            forEachRecord(next, end, batch::add);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          next = end;
        }
        return !batch.isEmpty();
      }

      @Override
      public byte[] next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return batch.poll();
      }
    };
  }

  /** How many records {@link #records} reads at a time. */
  int READ_BATCH = 1024;

  /** The records of one exchange in {@code seq} order; empty when it is unknown. */
  List<byte[]> exchange(String exchangeId) throws IOException;

  /**
   * Exchanges started in {@code [since, until)}, newest first, at most {@code limit}; only those of
   * {@code subject} when present.
   */
  default List<ExchangeRef> exchanges(
      Optional<String> subject, Instant since, Instant until, int limit) throws IOException {
    return exchanges(subject, since, until, Optional.empty(), limit);
  }

  /**
   * As {@link #exchanges(Optional, Instant, Instant, int)}, continuing after {@code after}: only
   * exchanges that sort strictly after it in listing order (start time descending, then exchange id
   * descending). Start times have millisecond precision, so many exchanges can share one; a
   * position that names the id as well never skips or repeats one of them between pages.
   */
  List<ExchangeRef> exchanges(
      Optional<String> subject,
      Instant since,
      Instant until,
      Optional<ListPosition> after,
      int limit)
      throws IOException;

  /**
   * A signed checkpoint of the tree of the first {@code size} records (at most {@link #size()}).
   */
  String checkpoint(long size) throws IOException;

  /** The latest checkpoint written to the store, if any. */
  Optional<String> latestCheckpoint() throws IOException;

  /** The compact range of the first {@code size} records (for exports starting at {@code size}). */
  List<byte[]> compactRange(long size) throws IOException;

  /** The note verifier key that checks this log's checkpoints. */
  String verifierKey();

  /** Writes a last checkpoint, stops the writer and closes the store. */
  @Override
  void close();

  /** One exchange in a listing: its id, start time and the {@code seq} of its request record. */
  record ExchangeRef(String exchangeId, Instant startedAt, long requestSeq) {
    /** Where this exchange sits in a listing, for the next page. */
    public ListPosition position() {
      return new ListPosition(startedAt.toEpochMilli(), exchangeId);
    }
  }

  /** A place in a listing: a start time in epoch milliseconds and an exchange id. */
  record ListPosition(long startedMillis, String exchangeId) {
    public ListPosition {
      java.util.Objects.requireNonNull(exchangeId, "exchangeId");
    }
  }
}
