package dev.jitgw.audit.store;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.checkpoint.Checkpoint;
import dev.jitgw.audit.checkpoint.CheckpointKeyFile;
import dev.jitgw.audit.checkpoint.NoteSigner;
import dev.jitgw.audit.checkpoint.NoteVerificationException;
import dev.jitgw.audit.checkpoint.NoteVerifier;
import dev.jitgw.audit.checkpoint.SignedCheckpoint;
import dev.jitgw.audit.tree.MerkleHash;
import dev.jitgw.audit.tree.MerkleTree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log in RocksDB: one writer thread drains the append queue into {@code WriteBatch}es
 * written with {@code sync=true} (group commit: every submission waiting when a write starts rides
 * on its one fsync), assigns {@code seq}, chains {@code prev}, extends the Merkle tree, and writes
 * each record with its tree nodes and index entries in one atomic batch. Callers are completed
 * after the synced write returns. A batch of unawaited submissions only is written at once without
 * a sync and completed by the next synced write (or a sync of its own 5 ms later); every reader is
 * bounded by the synced size, a reader in another process by the {@code synced} mark.
 *
 * <p>The same thread writes signed checkpoints: every {@code checkpointInterval} when the log grew,
 * and at {@link #close()}. All checkpoints come from one tree, so no two are inconsistent.
 *
 * <p>On open the log refuses to start when its tree does not match the last checkpoint it signed,
 * when it holds fewer records than that checkpoint (a rollback), or when a record written since no
 * longer hashes to its stored leaf; exchanges whose {@code response_end} never came (a crash) are
 * closed with an {@code aborted} one.
 *
 * <p>A failed write fails the submissions of that batch, and those written unsynced before it, with
 * {@link AuditUnavailableException}, rewinds the tree (to the start of the batch; when unsynced
 * ones were pending, it is reloaded from the store before the next write) and marks the log
 * unhealthy; the writer then probes the store every second (reopening it when the database stays in
 * its error state) until a write succeeds again. Records whose bytes reached the store before the
 * failure are found and kept by that reopening.
 */
public final class RocksAuditLog implements AuditLog {

  private static final Logger log = LoggerFactory.getLogger(RocksAuditLog.class);

  private static final int QUEUE_CAPACITY = 65_536;
  private static final int MAX_BATCH_SUBMISSIONS = 4_096;
  private static final long MAX_BATCH_BYTES = 8L * 1024 * 1024;
  private static final long PROBE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final byte[] PROBE_KEY = "probe".getBytes(US_ASCII);

  /**
   * The number of records the last synced write made durable, put in that write's batch. Records
   * are written before they are synced (an exchange's response records wait for the next request's
   * sync); a reader in another process ({@link #openReader}) sees them as soon as they are written,
   * so it counts only this many, never records a power loss could still take back.
   */
  private static final byte[] SYNCED_KEY = "synced".getBytes(US_ASCII);

  /** How the log is opened. */
  public record Settings(
      Path storeDirectory,
      Path keyDirectory,
      String origin,
      Duration checkpointInterval,
      Clock clock) {
    public Settings {
      requireNonNull(storeDirectory, "storeDirectory");
      requireNonNull(keyDirectory, "keyDirectory");
      requireNonNull(origin, "origin");
      requireNonNull(checkpointInterval, "checkpointInterval");
      requireNonNull(clock, "clock");
    }

    /**
     * The data directory's layout: {@code audit/} for the store, {@code audit-key/} for the key.
     */
    public static Settings inDataDirectory(
        Path dataDirectory, String origin, Duration checkpointInterval, Clock clock) {
      return new Settings(
          dataDirectory.resolve("audit"),
          dataDirectory.resolve("audit-key"),
          origin,
          checkpointInterval,
          clock);
    }
  }

  /** A record's bytes and their leaf hash, computed once. */
  private record Encoded(byte[] bytes, byte[] leaf) {}

  private record Submission(
      List<AuditRecord> records, CompletableFuture<Long> done, boolean unawaited) {}

  private static final Submission STOP =
      new Submission(List.of(), new CompletableFuture<>(), false);

  /**
   * How long records written unsynced wait for an awaited write to sync them. A batch of unawaited
   * submissions only (an exchange's response records) is written at once without a sync: the next
   * request's record then pays only for its own encoding and the one sync, not for the response
   * records' too (the streaming time to first byte, docs/benchmarks.md), and under load awaited
   * submissions come all the time. Past this the writer syncs them itself.
   */
  private static final long UNSYNCED_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final Settings settings;
  private final NoteSigner signer;
  private final NoteVerifier verifier;
  private final boolean readOnly;
  private final BlockingQueue<Submission> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final ReadWriteLock storeLock = new ReentrantReadWriteLock();
  private final Thread writer;

  private AuditStore store;
  private StoredNodes nodes;
  private volatile MerkleTree tree;
  private volatile long durableSize;
  private volatile boolean healthy = true;
  private volatile boolean closed;
  private volatile Instant lastCheckpointAt;
  // Writer-thread state.
  private byte[] lastLeaf;
  private long checkpointedSize;
  private long lastCheckpointNanos;
  private long nextProbeNanos;
  private boolean treeStale;

  /** Submissions written without a sync, waiting for one; their first seqs; its deadline. */
  private final List<Submission> unsynced = new ArrayList<>();

  private final List<Long> unsyncedSeqs = new ArrayList<>();
  private long unsyncedDeadline;

  /** The batch's tree nodes by level, each level's in index order. */
  private final List<List<Put>> nodePuts = new ArrayList<>();

  private final List<Put> indexPuts = new ArrayList<>();

  private RocksAuditLog(
      Settings settings, AuditStore store, NoteSigner signer, NoteVerifier verifier, boolean ro)
      throws IOException {
    this.settings = settings;
    this.signer = signer;
    this.verifier = verifier;
    this.readOnly = ro;
    this.store = store;
    this.writer = ro ? null : new Thread(this::writeLoop, "jitgw-audit-writer");
    loadTree();
  }

  /**
   * Opens (creating on first start) the log and its checkpoint key, checks the store against the
   * last checkpoint, closes exchanges a crash cut short, and starts the writer.
   *
   * @throws IOException when the store or key cannot be opened, or the checks fail (the message
   *     says which); the gateway must not start then
   */
  public static RocksAuditLog open(Settings settings) throws IOException {
    requireNonNull(settings, "settings");
    CheckpointKeyFile key =
        CheckpointKeyFile.loadOrCreate(settings.keyDirectory(), settings.origin());
    AuditStore store = AuditStore.open(settings.storeDirectory());
    RocksAuditLog auditLog;
    try {
      auditLog = new RocksAuditLog(settings, store, key.signer(), key.verifier(), false);
      auditLog.checkAgainstLastCheckpoint();
      auditLog.markSyncedAtOpen();
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
    auditLog.writer.start();
    try {
      auditLog.closeCutShortExchanges();
    } catch (IOException | RuntimeException e) {
      auditLog.close();
      throw e;
    }
    return auditLog;
  }

  /**
   * Opens the log of a gateway that may be running, read-only, as a RocksDB secondary with its own
   * files in {@code scratch}; checkpoints are signed with the key in the key directory.
   */
  public static RocksAuditLog openReader(Settings settings, Path scratch) throws IOException {
    requireNonNull(settings, "settings");
    if (!java.nio.file.Files.exists(settings.keyDirectory().resolve(CheckpointKeyFile.KEY_FILE))) {
      throw new IOException("no audit key in " + settings.keyDirectory());
    }
    CheckpointKeyFile key =
        CheckpointKeyFile.loadOrCreate(settings.keyDirectory(), settings.origin());
    AuditStore store = AuditStore.openSecondary(settings.storeDirectory(), scratch);
    try {
      RocksAuditLog reader = new RocksAuditLog(settings, store, key.signer(), key.verifier(), true);
      // Never sign a fresh checkpoint over a store that was rolled back or edited.
      reader.checkAgainstLastCheckpoint();
      return reader;
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- appending

  @Override
  public CompletableFuture<Long> append(List<AuditRecord> records) {
    return append(records, false);
  }

  @Override
  public CompletableFuture<Long> appendUnawaited(List<AuditRecord> records) {
    return append(records, true);
  }

  private CompletableFuture<Long> append(List<AuditRecord> records, boolean unawaited) {
    requireNonNull(records, "records");
    if (records.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("no records"));
    }
    if (readOnly) {
      return CompletableFuture.failedFuture(
          new UnsupportedOperationException("a reader cannot append"));
    }
    if (closed) {
      return CompletableFuture.failedFuture(
          new AuditUnavailableException("the audit log is closed"));
    }
    Submission submission =
        new Submission(List.copyOf(records), new CompletableFuture<>(), unawaited);
    if (!queue.offer(submission)) {
      return CompletableFuture.failedFuture(
          new AuditUnavailableException(
              "the audit writer is " + QUEUE_CAPACITY + " submissions behind"));
    }
    return submission.done;
  }

  private void writeLoop() {
    long intervalNanos = settings.checkpointInterval().toNanos();
    lastCheckpointNanos = System.nanoTime();
    List<Submission> batch = new ArrayList<>();
    boolean stopping = false;
    while (!stopping) {
      Submission first;
      try {
        long wait =
            Math.min(
                intervalNanos - (System.nanoTime() - lastCheckpointNanos), PROBE_INTERVAL_NANOS);
        if (!unsynced.isEmpty()) {
          wait = Math.min(wait, unsyncedDeadline - System.nanoTime());
        }
        first = queue.poll(Math.max(1, wait), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        first = STOP;
      }
      if (!healthy) {
        probe();
      }
      if (first != null) {
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH_SUBMISSIONS - 1);
        int stop = batch.indexOf(STOP);
        if (stop >= 0) {
          stopping = true;
          // Whatever was queued after the stop signal raced with close(): fail it.
          List<Submission> late = new ArrayList<>(batch.subList(stop + 1, batch.size()));
          batch.subList(stop, batch.size()).clear();
          queue.drainTo(late);
          late.forEach(
              s ->
                  s.done.completeExceptionally(
                      new AuditUnavailableException("the audit log is closed")));
        }
        boolean sync = stopping || !batch.stream().allMatch(Submission::unawaited);
        try {
          writeAll(batch, sync);
        } catch (RuntimeException e) {
          // Never lose the writer: fail what it held and carry on.
          log.error("audit writer failed a batch", e);
          AuditUnavailableException failure = new AuditUnavailableException(e.toString(), e);
          batch.forEach(s -> s.done.completeExceptionally(failure));
          failUnsynced(failure);
          healthy = false;
          treeStale = true;
        }
        batch.clear();
      }
      if (!unsynced.isEmpty() && (stopping || System.nanoTime() - unsyncedDeadline >= 0)) {
        syncUnsynced();
      }
      if (stopping || System.nanoTime() - lastCheckpointNanos >= intervalNanos) {
        writeCheckpointIfGrown();
      }
    }
  }

  private void writeAll(List<Submission> submissions, boolean sync) {
    int from = 0;
    while (from < submissions.size()) {
      long bytes = 0;
      int to = from;
      while (to < submissions.size() && (to == from || bytes < MAX_BATCH_BYTES)) {
        for (AuditRecord record : submissions.get(to).records) {
          bytes += 128 + record.tail().length;
        }
        to++;
      }
      writeBatch(submissions.subList(from, to), sync);
      from = to;
    }
  }

  /**
   * Syncs what was written unsynced, when no awaited write came to sync it by its deadline (or the
   * log stops), and completes its submissions.
   */
  private void syncUnsynced() {
    storeLock.readLock().lock();
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(store.meta(), SYNCED_KEY, Keys.seq(tree.size()));
      store.write(batch, true);
    } catch (RocksDBException | RuntimeException e) {
      String why = failed("sync", e);
      // The records are in the store, perhaps on disk: the tree is reloaded from what it holds.
      treeStale = true;
      failUnsynced(new AuditUnavailableException("the audit log cannot sync: " + why, e));
      return;
    } finally {
      storeLock.readLock().unlock();
    }
    synced();
  }

  /**
   * A synced write succeeded: everything written so far is durable, the submissions written
   * unsynced before it are complete, and the log is healthy again (an unsynced write succeeding
   * says nothing of the disk's syncs).
   */
  private void synced() {
    durableSize = tree.size();
    if (!healthy) {
      log.info("audit writes succeed again");
      healthy = true;
    }
    for (int i = 0; i < unsynced.size(); i++) {
      unsynced.get(i).done.complete(unsyncedSeqs.get(i));
    }
    unsynced.clear();
    unsyncedSeqs.clear();
  }

  /**
   * A write or sync failed: logs it once, schedules the probe and marks the log unhealthy; returns
   * why, for the submissions' failure.
   */
  private String failed(String what, Exception e) {
    String why = e instanceof RocksDBException ? AuditStore.message(e) : e.toString();
    if (healthy) {
      log.error("audit {} failed; requests are refused until the store recovers: {}", what, why);
      // Probe on a schedule of its own: later failed writes must not push it back, or steady
      // traffic would keep the store from ever being reopened.
      nextProbeNanos = System.nanoTime() + PROBE_INTERVAL_NANOS;
    }
    healthy = false;
    return why;
  }

  private void failUnsynced(AuditUnavailableException failure) {
    unsynced.forEach(s -> s.done.completeExceptionally(failure));
    unsynced.clear();
    unsyncedSeqs.clear();
  }

  /**
   * Writes one group of submissions in one batch, or fails all of them. A synced batch makes every
   * record before it durable too, and completes the submissions written unsynced before it; an
   * unsynced one leaves its submissions to the next sync.
   */
  private void writeBatch(List<Submission> submissions, boolean sync) {
    if (treeStale) {
      AuditUnavailableException failure =
          new AuditUnavailableException("the audit log is recovering from a failed write");
      submissions.forEach(s -> s.done.completeExceptionally(failure));
      return;
    }
    long startSize = tree.size();
    byte[] startLeaf = lastLeaf;
    List<Submission> accepted = new ArrayList<>(submissions.size());
    List<Long> firstSeqs = new ArrayList<>(submissions.size());
    // The batch names column family handles: built and written under the read lock, so the store
    // cannot be closed (and its handles freed) while the batch uses them.
    nodePuts.forEach(List::clear);
    indexPuts.clear();
    storeLock.readLock().lock();
    try (WriteBatch batch = new WriteBatch()) {
      Instant now = settings.clock().instant();
      String time = RecordEncoder.TIME.format(now);
      for (Submission submission : submissions) {
        List<Encoded> encoded = encodeAll(submission, time);
        if (encoded == null) {
          continue;
        }
        firstSeqs.add(tree.size());
        accepted.add(submission);
        for (int i = 0; i < encoded.size(); i++) {
          Encoded record = encoded.get(i);
          appendToBatch(batch, submission.records, i, record.bytes(), record.leaf(), now);
        }
      }
      if (accepted.isEmpty()) {
        return;
      }
      putSorted(batch);
      if (sync) {
        batch.put(store.meta(), SYNCED_KEY, Keys.seq(tree.size()));
      }
      store.write(batch, sync);
    } catch (RocksDBException | RuntimeException e) {
      String why = failed("write", e);
      rewind(startSize, startLeaf);
      AuditUnavailableException failure =
          new AuditUnavailableException("the audit log cannot write: " + why, e);
      // Every submission of the group, not only those already encoded: none of them is written.
      submissions.forEach(s -> s.done.completeExceptionally(failure));
      if (!unsynced.isEmpty()) {
        // Written, but whether they reached the disk is not known: reload from the store.
        failUnsynced(failure);
        treeStale = true;
      }
      return;
    } finally {
      storeLock.readLock().unlock();
    }
    nodes.committed();
    if (!sync) {
      if (unsynced.isEmpty()) {
        unsyncedDeadline = System.nanoTime() + UNSYNCED_NANOS;
      }
      unsynced.addAll(accepted);
      unsyncedSeqs.addAll(firstSeqs);
      return;
    }
    synced();
    for (int i = 0; i < accepted.size(); i++) {
      accepted.get(i).done.complete(firstSeqs.get(i));
    }
  }

  /** Forgets what the failed batch added to the tree; if even that fails, reopen before writing. */
  private void rewind(long size, byte[] leaf) {
    nodes.discarded();
    lastLeaf = leaf;
    try {
      tree = MerkleTree.open(nodes, size);
    } catch (RuntimeException e) {
      log.warn(
          "cannot rewind the audit tree; it is reloaded before the next write: {}", e.toString());
      treeStale = true;
    }
  }

  /**
   * The bytes of every record of a submission at the seqs it will get, or {@code null} (and the
   * submission failed) when one of them is too large; nothing is appended to the tree here.
   */
  private List<Encoded> encodeAll(Submission submission, String time) {
    List<Encoded> encoded = new ArrayList<>(submission.records.size());
    long seq = tree.size();
    byte[] prev = lastLeaf;
    for (AuditRecord record : submission.records) {
      byte[] bytes = RecordEncoder.encode(seq, prev, time, record);
      if (bytes.length > RecordEncoder.MAX_RECORD_BYTES) {
        submission.done.completeExceptionally(
            new IllegalArgumentException(
                record
                    + " is "
                    + bytes.length
                    + " bytes; records are at most "
                    + RecordEncoder.MAX_RECORD_BYTES));
        return null;
      }
      prev = MerkleHash.leafHash(bytes);
      encoded.add(new Encoded(bytes, prev));
      seq++;
    }
    return encoded;
  }

  /**
   * Puts {@code records.get(i)} with its tree nodes and index entries into the batch. The records
   * of one exchange that follow each other in a submission share one exchange index entry, on the
   * first of them, whose value is how many there are (an empty value, as written before, is one).
   */
  private void appendToBatch(
      WriteBatch batch, List<AuditRecord> records, int i, byte[] bytes, byte[] leaf, Instant now)
      throws RocksDBException {
    AuditRecord record = records.get(i);
    long seq = tree.size();
    byte[] seqKey = Keys.seq(seq);
    batch.put(store.records(), seqKey, bytes);
    for (var node : tree.append(leaf)) {
      while (nodePuts.size() <= node.level()) {
        nodePuts.add(new ArrayList<>());
      }
      nodePuts.get(node.level()).add(new Put(Keys.node(node.level(), node.index()), node.hash()));
    }
    lastLeaf = leaf;
    String exchangeId = record.exchangeId();
    if (exchangeId == null) {
      return;
    }
    if (i == 0 || !exchangeId.equals(records.get(i - 1).exchangeId())) {
      int run = 1;
      while (i + run < records.size() && exchangeId.equals(records.get(i + run).exchangeId())) {
        run++;
      }
      indexPuts.add(
          new Put(
              Keys.exchangeRecord(exchangeId, seq),
              run == 1 ? new byte[0] : ByteBuffer.allocate(4).putInt(run).array()));
    }
    switch (record.type()) {
      case AuditRecord.REQUEST -> {
        long millis = now.toEpochMilli();
        indexPuts.add(new Put(Keys.byTime(millis, exchangeId), seqKey));
        String subject = record.subject();
        if (subject != null) {
          indexPuts.add(new Put(Keys.bySubject(subject, millis, exchangeId), seqKey));
        }
        indexPuts.add(new Put(Keys.open(exchangeId), seqKey));
      }
      case AuditRecord.RESPONSE_END -> indexPuts.add(new Put(Keys.open(exchangeId), null));
      default -> {}
    }
  }

  /**
   * Puts the batch's tree nodes and index entries, each family's in key order. RocksDB's memtable
   * finds where a key goes starting from where the last one went; entries written in key order skip
   * most of that search, where the order they were made in (levels and index kinds interleaved)
   * sent nearly every insert down from the top of the skip list (perf: the writer's largest cost).
   * The sort is stable, so a put and a delete of one key stay in their order.
   */
  private void putSorted(WriteBatch batch) throws RocksDBException {
    // Node keys are the level, then the index; each level's nodes were made in index order.
    for (List<Put> level : nodePuts) {
      for (Put put : level) {
        batch.put(store.nodes(), put.key(), put.value());
      }
    }
    indexPuts.sort(Put.BY_KEY);
    for (Put put : indexPuts) {
      if (put.value() == null) {
        batch.delete(store.indexes(), put.key());
      } else {
        batch.put(store.indexes(), put.key(), put.value());
      }
    }
  }

  /** A put into a batch, or a delete when {@code value} is {@code null}. */
  private record Put(byte[] key, byte[] value) {
    static final Comparator<Put> BY_KEY = (a, b) -> Arrays.compareUnsigned(a.key, b.key);
  }

  private void probe() {
    long now = System.nanoTime();
    if (now - nextProbeNanos < 0) {
      return;
    }
    nextProbeNanos = now + PROBE_INTERVAL_NANOS;
    try {
      if (treeStale) {
        reopen();
      }
      probeWrite();
    } catch (RocksDBException | IOException | RuntimeException first) {
      // A database in its background-error state stays read-only until it is reopened.
      try {
        reopen();
        probeWrite();
      } catch (RocksDBException | IOException | RuntimeException e) {
        log.debug("audit store still failing: {}", e.toString());
        return;
      }
    }
    log.info("the audit store accepts writes again");
    healthy = true;
  }

  private void probeWrite() throws RocksDBException {
    storeLock.readLock().lock();
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(store.meta(), PROBE_KEY, Keys.seq(settings.clock().millis()));
      // After a reopen, what it adopted is durable (recovered from the WAL into the tables).
      batch.put(store.meta(), SYNCED_KEY, Keys.seq(durableSize));
      store.write(batch, true);
    } finally {
      storeLock.readLock().unlock();
    }
  }

  /**
   * Closes and reopens the store, then the tree at the size the store holds. Until this succeeds
   * whole, nothing is written ({@code treeStale}). The store may hold more records than were
   * acknowledged (a write reported failed after its WAL bytes reached the disk): they are adopted,
   * never overwritten. Fewer than acknowledged means records were lost: the log stays stale.
   */
  private void reopen() throws IOException {
    storeLock.writeLock().lock();
    try {
      treeStale = true;
      store.close();
      store = AuditStore.open(settings.storeDirectory());
      nodes = new StoredNodes(store);
      long size = lastSeq(store) + 1;
      if (size < durableSize) {
        throw new IOException(
            "the reopened audit store has "
                + size
                + " records but "
                + durableSize
                + " were acknowledged; refusing to write");
      }
      if (size > durableSize) {
        log.warn(
            "the reopened audit store holds {} record(s) whose write was reported failed; kept",
            size - durableSize);
      }
      tree = MerkleTree.open(nodes, size);
      lastLeaf = size == 0 ? null : nodes.get(0, size - 1);
      durableSize = size;
      treeStale = false;
    } finally {
      storeLock.writeLock().unlock();
    }
  }

  // ---------------------------------------------------------------- checkpoints

  private void writeCheckpointIfGrown() {
    lastCheckpointNanos = System.nanoTime();
    long size = durableSize;
    if (size == checkpointedSize || !healthy) {
      return;
    }
    String note = sign(size);
    storeLock.readLock().lock();
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(store.checkpoints(), Keys.seq(size), note.getBytes(UTF_8));
      // Records adopted at open (written, then the process died) are counted from here on.
      batch.put(store.meta(), SYNCED_KEY, Keys.seq(size));
      store.write(batch, true);
      checkpointedSize = size;
      lastCheckpointAt = settings.clock().instant();
    } catch (RocksDBException e) {
      log.warn("cannot write an audit checkpoint: {}", AuditStore.message(e));
    } finally {
      storeLock.readLock().unlock();
    }
  }

  private String sign(long size) {
    return SignedCheckpoint.sign(new Checkpoint(settings.origin(), size, tree.root(size)), signer);
  }

  // ---------------------------------------------------------------- opening

  private void loadTree() throws IOException {
    nodes = new StoredNodes(store);
    long size = lastSeq(store) + 1;
    if (readOnly) {
      byte[] synced = read(store.meta(), SYNCED_KEY);
      if (synced != null) {
        size = Math.min(size, Keys.seqOf(synced));
      }
    }
    try {
      tree = MerkleTree.open(nodes, size);
    } catch (IllegalStateException e) {
      throw new IOException(
          "the audit store in "
              + settings.storeDirectory()
              + " lacks tree nodes: "
              + e.getMessage(),
          e);
    }
    durableSize = size;
    lastLeaf = size == 0 ? null : nodes.get(0, size - 1);
  }

  /**
   * Records the store holds at open are durable (what a crash left in the WAL was recovered into
   * the tables): readers in other processes count them from now on, not only after the next write.
   */
  private void markSyncedAtOpen() throws IOException {
    byte[] synced = read(store.meta(), SYNCED_KEY);
    if (synced != null && Keys.seqOf(synced) == durableSize) {
      return;
    }
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(store.meta(), SYNCED_KEY, Keys.seq(durableSize));
      store.write(batch, true);
    } catch (RocksDBException e) {
      throw new IOException("cannot write to the audit store: " + AuditStore.message(e), e);
    }
  }

  private static long lastSeq(AuditStore store) {
    byte[] last = store.lastKey(store.records());
    return last == null ? -1 : Keys.seqOf(last);
  }

  private void checkAgainstLastCheckpoint() throws IOException {
    long size = tree.size();
    Checkpoint last = null;
    byte[] lastKey = store.lastKey(store.checkpoints());
    if (lastKey != null) {
      String note = new String(read(store.checkpoints(), lastKey), UTF_8);
      try {
        last = SignedCheckpoint.open(note, verifier, settings.origin());
      } catch (NoteVerificationException e) {
        throw new IOException(
            "the last audit checkpoint does not verify with the key in "
                + settings.keyDirectory()
                + ": "
                + e.getMessage(),
            e);
      }
      if (last.size() > size) {
        throw new IOException(
            "the audit log has "
                + size
                + " records but a checkpoint was signed for "
                + last.size()
                + ": records were removed (rollback); refusing to start");
      }
      if (!Arrays.equals(tree.root(last.size()), last.rootHash())) {
        throw new IOException(
            "the audit tree does not match the checkpoint signed for size "
                + last.size()
                + "; refusing to start");
      }
      checkpointedSize = last.size();
    }
    // Records written since the checkpoint were never signed over: re-hash them.
    byte[] prev = checkpointedSize == 0 ? null : nodes.get(0, checkpointedSize - 1);
    for (long seq = checkpointedSize; seq < size; seq++) {
      byte[] record = read(store.records(), Keys.seq(seq));
      if (record == null) {
        throw new IOException("audit record " + seq + " is missing; refusing to start");
      }
      byte[] leaf = MerkleHash.leafHash(record);
      if (!Arrays.equals(leaf, nodes.get(0, seq))) {
        throw new IOException("audit record " + seq + " does not match its leaf hash");
      }
      if (!prevMatches(record, prev)) {
        throw new IOException("audit record " + seq + " does not chain to record " + (seq - 1));
      }
      prev = leaf;
    }
  }

  private static boolean prevMatches(byte[] record, byte[] prev) {
    String text = new String(record, 0, Math.min(record.length, 120), UTF_8);
    int at = text.indexOf("\"prev\":\"");
    if (prev == null) {
      return at < 0;
    }
    return at >= 0
        && text.startsWith(java.util.HexFormat.of().formatHex(prev), at + "\"prev\":\"".length());
  }

  private void closeCutShortExchanges() throws IOException {
    List<AuditRecord> endings = new ArrayList<>();
    byte[] prefix = {Keys.OPEN};
    try (RocksIterator it = store.iterator(store.indexes())) {
      for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        String exchangeId = new String(it.key(), 1, it.key().length - 1, US_ASCII);
        ObjectNode fields = AuditRecord.fields();
        fields.put("outcome", "aborted");
        fields.putNull("status");
        fields.put("error", "the gateway stopped before the exchange ended");
        endings.add(new AuditRecord(AuditRecord.RESPONSE_END, exchangeId, fields));
      }
    }
    if (endings.isEmpty()) {
      return;
    }
    log.warn("closing {} exchange(s) cut short by the last stop as aborted", endings.size());
    try {
      append(endings).join();
    } catch (RuntimeException e) {
      throw new IOException("cannot close exchanges cut short: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- reading

  @Override
  public boolean healthy() {
    return healthy && !closed;
  }

  @Override
  public long size() {
    return durableSize;
  }

  /** Submissions waiting for the writer (a metric: a growing queue means the disk lags). */
  public int queueDepth() {
    return queue.size();
  }

  /** When this process last wrote a checkpoint; empty before its first. */
  public Optional<Instant> lastCheckpointAt() {
    return Optional.ofNullable(lastCheckpointAt);
  }

  /**
   * Copies the store while the log runs: a consistent RocksDB checkpoint in {@code storeCopy}
   * (which must not exist), taken while appends go on. With a copy of the key directory beside it,
   * it opens as this log as it stood.
   *
   * @return the number of records the copy holds at least (those durable when it was taken)
   */
  public long copyStoreTo(Path storeCopy) throws IOException {
    if (readOnly) {
      throw new IllegalStateException("a reader cannot back up the log");
    }
    java.nio.file.Files.createDirectories(storeCopy.getParent());
    storeLock.readLock().lock();
    try {
      long size = durableSize;
      store.checkpointTo(storeCopy);
      return size;
    } finally {
      storeLock.readLock().unlock();
    }
  }

  /** For a reader: see what the writing process has written since. */
  public void refresh() throws IOException {
    if (!readOnly) {
      return;
    }
    storeLock.writeLock().lock();
    try {
      store.catchUp();
      loadTree();
    } finally {
      storeLock.writeLock().unlock();
    }
  }

  @Override
  public void forEachRecord(long from, long toExclusive, Consumer<byte[]> sink) throws IOException {
    long end = Math.min(toExclusive, durableSize);
    storeLock.readLock().lock();
    try (RocksIterator it = store.iterator(store.records())) {
      long expected = from;
      for (it.seek(Keys.seq(from)); it.isValid() && expected < end; it.next(), expected++) {
        long seq = Keys.seqOf(it.key());
        if (seq != expected) {
          throw new IOException("audit record " + expected + " is missing");
        }
        sink.accept(it.value());
      }
      if (expected < end) {
        AuditStore.checkStatus(it);
        throw new IOException("audit record " + expected + " is missing");
      }
    } finally {
      storeLock.readLock().unlock();
    }
  }

  @Override
  public List<byte[]> exchange(String exchangeId) throws IOException {
    List<byte[]> records = new ArrayList<>();
    byte[] prefix = Keys.exchangePrefix(exchangeId);
    storeLock.readLock().lock();
    try (RocksIterator it = store.iterator(store.indexes())) {
      for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        byte[] key = it.key();
        if (key.length != prefix.length + 8) {
          continue; // an id that merely starts with this one
        }
        long first = ByteBuffer.wrap(key, prefix.length, 8).getLong();
        byte[] value = it.value();
        int run = value.length == 4 ? ByteBuffer.wrap(value).getInt() : 1;
        for (long seq = first; seq < first + run && seq < durableSize; seq++) {
          records.add(read(store.records(), Keys.seq(seq)));
        }
      }
      AuditStore.checkStatus(it);
    } finally {
      storeLock.readLock().unlock();
    }
    return records;
  }

  @Override
  public List<ExchangeRef> exchanges(
      Optional<String> subject,
      Instant since,
      Instant until,
      Optional<ListPosition> after,
      int limit)
      throws IOException {
    byte[] prefix = subject.map(Keys::bySubjectPrefix).orElse(new byte[] {Keys.BY_TIME});
    byte[] upper =
        ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(until.toEpochMilli()).array();
    if (after.isPresent() && after.get().startedMillis() < until.toEpochMilli()) {
      // Continue from the key of the last exchange listed (millis, id), itself excluded below:
      // paging by time alone skips or repeats exchanges that share a millisecond.
      byte[] id = after.get().exchangeId().getBytes(US_ASCII);
      upper =
          ByteBuffer.allocate(prefix.length + 8 + id.length)
              .put(prefix)
              .putLong(after.get().startedMillis())
              .put(id)
              .array();
    }
    long sinceMillis = since.toEpochMilli();
    List<ExchangeRef> found = new ArrayList<>();
    storeLock.readLock().lock();
    try (RocksIterator it = store.iterator(store.indexes())) {
      // Keys at `until` itself sort after `upper` (the id follows), so the range stays half-open.
      for (it.seekForPrev(upper); it.isValid() && found.size() < limit; it.prev()) {
        byte[] key = it.key();
        if (!Keys.startsWith(key, prefix) || key.length < prefix.length + 8) {
          break;
        }
        ByteBuffer view = ByteBuffer.wrap(key, prefix.length, key.length - prefix.length);
        long millis = view.getLong();
        if (millis < sinceMillis) {
          break;
        }
        if (millis >= until.toEpochMilli() || Arrays.equals(key, upper)) {
          continue;
        }
        long seq = Keys.seqOf(it.value());
        if (seq >= durableSize) {
          continue;
        }
        String id = new String(key, prefix.length + 8, key.length - prefix.length - 8, US_ASCII);
        found.add(new ExchangeRef(id, Instant.ofEpochMilli(millis), seq));
      }
    } finally {
      storeLock.readLock().unlock();
    }
    return found;
  }

  @Override
  public String checkpoint(long size) {
    if (size < 0 || size > durableSize) {
      throw new IllegalArgumentException("size: " + size + " (expected: 0 to " + durableSize + ")");
    }
    storeLock.readLock().lock();
    try {
      return sign(size);
    } finally {
      storeLock.readLock().unlock();
    }
  }

  @Override
  public Optional<String> latestCheckpoint() throws IOException {
    storeLock.readLock().lock();
    try {
      byte[] key = store.lastKey(store.checkpoints());
      return key == null
          ? Optional.empty()
          : Optional.of(new String(read(store.checkpoints(), key), UTF_8));
    } finally {
      storeLock.readLock().unlock();
    }
  }

  @Override
  public List<byte[]> compactRange(long size) {
    storeLock.readLock().lock();
    try {
      return MerkleTree.compactRange(tree, size);
    } finally {
      storeLock.readLock().unlock();
    }
  }

  @Override
  public String verifierKey() {
    return verifier.verifierKey();
  }

  private byte[] read(org.rocksdb.ColumnFamilyHandle family, byte[] key) throws IOException {
    try {
      return store.get(family, key);
    } catch (RocksDBException e) {
      throw new IOException("cannot read the audit store: " + AuditStore.message(e), e);
    }
  }

  // ---------------------------------------------------------------- closing

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (writer != null) {
      while (true) {
        try {
          queue.put(STOP);
          break;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      try {
        writer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    storeLock.writeLock().lock();
    try {
      store.close();
    } finally {
      storeLock.writeLock().unlock();
    }
  }

  /** The current store, so tests can make it fail as a store in its error state does. */
  void closeStoreForTesting() {
    storeLock.writeLock().lock();
    try {
      store.close();
    } finally {
      storeLock.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "RocksAuditLog[" + settings.storeDirectory() + ", size=" + durableSize + ']';
  }

  static UncheckedIOException unchecked(IOException e) {
    return new UncheckedIOException(e);
  }
}
