package dev.jitgw.audit.store;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The one owner of the audit log's RocksDB instance and of every native handle that goes with it.
 *
 * <p>Column families: {@code default} (store metadata and the write probe), {@code records}, {@code
 * nodes}, {@code indexes} and {@code checkpoints}; key layouts in {@link Keys}. Writes go through
 * {@link #write(WriteBatch, boolean)}: a synced write that returns is on disk with every write
 * before it.
 *
 * <p>{@link #close()} releases, in this order: the column family handles, the database, then the
 * options objects the database was opened with (RocksDB requires that options outlive the database
 * and handles outlive nothing). Closing twice is harmless.
 *
 * <p>A <em>secondary</em> store ({@link #openSecondary}) reads the files of a store another process
 * has open, catching up with it on {@link #catchUp()}: the CLI exports from a running gateway this
 * way.
 */
public final class AuditStore implements AutoCloseable {

  static final String RECORDS = "records";
  static final String NODES = "nodes";
  static final String INDEXES = "indexes";
  static final String CHECKPOINTS = "checkpoints";

  static {
    RocksDB.loadLibrary();
  }

  private final Path directory;
  private final boolean secondary;

  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final WriteOptions syncWrites;
  private final WriteOptions unsyncedWrites;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle meta;
  private final ColumnFamilyHandle records;
  private final ColumnFamilyHandle nodes;
  private final ColumnFamilyHandle indexes;
  private final ColumnFamilyHandle checkpoints;
  private volatile boolean closed;

  private AuditStore(Path directory, Path secondaryDirectory) throws IOException {
    this.directory = directory;
    this.secondary = secondaryDirectory != null;
    this.dbOptions =
        new DBOptions()
            .setCreateIfMissing(!secondary)
            .setCreateMissingColumnFamilies(!secondary)
            .setMaxOpenFiles(secondary ? -1 : 512)
            .setKeepLogFileNum(4)
            // Flushes and compactions sync their output as they go rather than leaving megabytes
            // dirty: on ext4 (data=ordered) the WAL's fsync, which every request record waits
            // for, would otherwise wait for those too.
            .setBytesPerSync(1L << 20);
    this.cfOptions = new ColumnFamilyOptions();
    this.syncWrites = new WriteOptions().setSync(true);
    this.unsyncedWrites = new WriteOptions();
    List<ColumnFamilyDescriptor> descriptors =
        List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
            new ColumnFamilyDescriptor(bytes(RECORDS), cfOptions),
            new ColumnFamilyDescriptor(bytes(NODES), cfOptions),
            new ColumnFamilyDescriptor(bytes(INDEXES), cfOptions),
            new ColumnFamilyDescriptor(bytes(CHECKPOINTS), cfOptions));
    List<ColumnFamilyHandle> opened = new ArrayList<>();
    RocksDB database;
    try {
      if (secondary) {
        Files.createDirectories(secondaryDirectory);
        database =
            RocksDB.openAsSecondary(
                dbOptions,
                directory.toString(),
                secondaryDirectory.toString(),
                descriptors,
                opened);
      } else {
        Files.createDirectories(directory);
        database = RocksDB.open(dbOptions, directory.toString(), descriptors, opened);
      }
    } catch (RocksDBException | IOException e) {
      opened.forEach(ColumnFamilyHandle::close);
      syncWrites.close();
      unsyncedWrites.close();
      dbOptions.close();
      cfOptions.close();
      throw new IOException("cannot open the audit store in " + directory + ": " + message(e), e);
    }
    this.db = database;
    this.handles = List.copyOf(opened);
    this.meta = handles.get(0);
    this.records = handles.get(1);
    this.nodes = handles.get(2);
    this.indexes = handles.get(3);
    this.checkpoints = handles.get(4);
  }

  /** Opens (creating if needed) the store in {@code directory} for reading and writing. */
  public static AuditStore open(Path directory) throws IOException {
    return new AuditStore(requireNonNull(directory, "directory"), null);
  }

  /**
   * Opens the store in {@code directory} as a read-only secondary, which may run beside the process
   * that writes it; {@code scratch} holds the secondary's own info logs.
   */
  public static AuditStore openSecondary(Path directory, Path scratch) throws IOException {
    requireNonNull(scratch, "scratch");
    if (!Files.isDirectory(directory)) {
      throw new IOException("no audit store in " + directory);
    }
    return new AuditStore(directory, scratch);
  }

  /** Catches a secondary store up with what the writing process has written so far. */
  public void catchUp() throws IOException {
    if (secondary) {
      try {
        db.tryCatchUpWithPrimary();
      } catch (RocksDBException e) {
        throw new IOException("cannot catch up with the audit store: " + message(e), e);
      }
    }
  }

  public Path directory() {
    return directory;
  }

  /**
   * A consistent copy of the store in {@code target} (which must not exist): a RocksDB checkpoint,
   * hard links where the file system allows and copies elsewhere, taken while writes go on.
   */
  void checkpointTo(Path target) throws IOException {
    requireOpen();
    try (Checkpoint checkpoint = Checkpoint.create(db)) {
      checkpoint.createCheckpoint(target.toString());
    } catch (RocksDBException e) {
      throw new IOException("cannot copy the audit store to " + target + ": " + message(e), e);
    }
  }

  /** Writes {@code batch}, synced (with every write before it) when {@code sync}. */
  void write(WriteBatch batch, boolean sync) throws RocksDBException {
    requireOpen();
    db.write(sync ? syncWrites : unsyncedWrites, batch);
  }

  byte[] get(ColumnFamilyHandle family, byte[] key) throws RocksDBException {
    requireOpen();
    return db.get(family, key);
  }

  RocksIterator iterator(ColumnFamilyHandle family) {
    requireOpen();
    return db.newIterator(family);
  }

  RocksIterator iterator(ColumnFamilyHandle family, ReadOptions options) {
    requireOpen();
    return db.newIterator(family, options);
  }

  ColumnFamilyHandle meta() {
    requireOpen();
    return meta;
  }

  ColumnFamilyHandle records() {
    requireOpen();
    return records;
  }

  ColumnFamilyHandle nodes() {
    requireOpen();
    return nodes;
  }

  ColumnFamilyHandle indexes() {
    requireOpen();
    return indexes;
  }

  ColumnFamilyHandle checkpoints() {
    requireOpen();
    return checkpoints;
  }

  /** The last key of {@code family}, or {@code null} when it is empty. */
  byte[] lastKey(ColumnFamilyHandle family) {
    requireOpen();
    try (RocksIterator it = db.newIterator(family)) {
      it.seekToLast();
      if (it.isValid()) {
        return it.key();
      }
      checkStatus(it); // "empty" only when no I/O error ended the scan
      return null;
    }
  }

  // Native handles used after close crash the JVM; a closed store refuses instead.
  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the audit store in " + directory + " is closed");
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    syncWrites.close();
    unsyncedWrites.close();
    dbOptions.close();
    cfOptions.close();
  }

  /**
   * An iterator that stops being valid has either reached the end or met an error; this tells them
   * apart, so a failed read never passes for an empty range.
   */
  static void checkStatus(RocksIterator it) {
    try {
      it.status();
    } catch (RocksDBException e) {
      throw new java.io.UncheckedIOException(
          new IOException("cannot read the audit store: " + message(e), e));
    }
  }

  static String message(Exception e) {
    if (e instanceof RocksDBException rocks && rocks.getStatus() != null) {
      return rocks.getStatus().getCodeString() + ": " + rocks.getMessage();
    }
    return String.valueOf(e.getMessage());
  }

  private static byte[] bytes(String name) {
    return name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  @Override
  public String toString() {
    return "AuditStore[" + directory + (secondary ? ", secondary" : "") + ']';
  }
}
