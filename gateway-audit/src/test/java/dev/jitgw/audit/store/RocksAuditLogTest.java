package dev.jitgw.audit.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.checkpoint.Checkpoint;
import dev.jitgw.audit.checkpoint.NoteVerifier;
import dev.jitgw.audit.checkpoint.SignedCheckpoint;
import dev.jitgw.audit.tree.CompactRange;
import dev.jitgw.audit.tree.MerkleHash;
import dev.jitgw.audit.tree.MerkleVerifier;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.WriteBatch;

class RocksAuditLogTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ORIGIN = "test.jitgw/audit";
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-29T05:00:00.123Z"), ZoneOffset.UTC);

  @TempDir Path dataDir;
  private final List<RocksAuditLog> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(RocksAuditLog::close);
  }

  private RocksAuditLog open(Duration checkpointInterval) throws IOException {
    RocksAuditLog log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(dataDir, ORIGIN, checkpointInterval, CLOCK));
    opened.add(log);
    return log;
  }

  private RocksAuditLog open() throws IOException {
    return open(Duration.ofHours(1));
  }

  /** A reader of the log in {@code dataDir}, as the CLI opens one beside a running gateway. */
  private RocksAuditLog openReader() throws IOException {
    RocksAuditLog reader =
        RocksAuditLog.openReader(
            RocksAuditLog.Settings.inDataDirectory(dataDir, ORIGIN, Duration.ofHours(1), CLOCK),
            dataDir.resolve("reader"));
    opened.add(reader);
    return reader;
  }

  private static AuditRecord request(String exchangeId, String subject) {
    ObjectNode fields = AuditRecord.fields();
    fields.putObject("identity").put("sub", subject).put("iss", "https://idp.test");
    fields.put("method", "POST").put("path", "/v1/messages");
    return new AuditRecord(AuditRecord.REQUEST, exchangeId, fields);
  }

  private static AuditRecord end(String exchangeId) {
    ObjectNode fields = AuditRecord.fields();
    fields.put("outcome", "complete").put("status", 200);
    return new AuditRecord(AuditRecord.RESPONSE_END, exchangeId, fields);
  }

  private static List<byte[]> all(AuditLog log) throws IOException {
    List<byte[]> records = new ArrayList<>();
    log.forEachRecord(0, log.size(), records::add);
    return records;
  }

  private static byte[] rootOf(List<byte[]> records) {
    List<byte[]> leaves = records.stream().map(MerkleHash::leafHash).toList();
    return MerkleVerifier.rootFromLeaves(leaves);
  }

  @Test
  void recordsCarrySeqPrevTimeTypeAndExchangeFirstThenThePayloadInOrder() throws Exception {
    RocksAuditLog log = open();
    long first = log.append(List.of(request("01A", "alice"), end("01A"))).join();

    assertThat(first).isZero();
    assertThat(log.size()).isEqualTo(2);
    List<byte[]> records = all(log);
    assertThat(new String(records.get(0), UTF_8))
        .isEqualTo(
            "{\"seq\":0,\"time\":\"2026-11-29T05:00:00.123Z\",\"type\":\"request\","
                + "\"exchange_id\":\"01A\",\"identity\":{\"sub\":\"alice\","
                + "\"iss\":\"https://idp.test\"},\"method\":\"POST\",\"path\":\"/v1/messages\"}");
    String prev = HexFormat.of().formatHex(MerkleHash.leafHash(records.get(0)));
    assertThat(new String(records.get(1), UTF_8))
        .startsWith("{\"seq\":1,\"prev\":\"" + prev + "\",\"time\":")
        .endsWith(
            "\"type\":\"response_end\",\"exchange_id\":\"01A\",\"outcome\":\"complete\",\"status\":200}");
  }

  @Test
  void sixtyFourConcurrentWritersGetContiguousDistinctSeqsAndATreeThatVerifies() throws Exception {
    RocksAuditLog log = open();
    int writers = 64;
    int perWriter = 50;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<Long>> seqs = new ArrayList<>();
    List<java.util.concurrent.Future<List<CompletableFuture<Long>>>> tasks = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      String id = String.format("EX%02d", w);
      tasks.add(
          pool.submit(
              () -> {
                start.await();
                List<CompletableFuture<Long>> mine = new ArrayList<>();
                for (int i = 0; i < perWriter; i++) {
                  // two records per submission: they must land next to each other
                  mine.add(log.append(List.of(request(id, "s" + i), end(id))));
                }
                return mine;
              }));
    }
    start.countDown();
    for (var task : tasks) {
      seqs.addAll(task.get(60, TimeUnit.SECONDS));
    }
    pool.shutdown();

    Set<Long> firsts = new HashSet<>();
    for (CompletableFuture<Long> seq : seqs) {
      firsts.add(seq.get(60, TimeUnit.SECONDS));
    }
    assertThat(firsts).hasSize(writers * perWriter).allMatch(seq -> seq % 2 == 0);
    assertThat(log.size()).isEqualTo(2L * writers * perWriter);
    List<byte[]> records = all(log);
    for (int i = 0; i < records.size(); i++) {
      JsonNode record = JSON.readTree(records.get(i));
      assertThat(record.get("seq").asLong()).isEqualTo(i);
      if (i % 2 == 1) {
        assertThat(record.get("exchange_id"))
            .isEqualTo(JSON.readTree(records.get(i - 1)).get("exchange_id"));
      }
    }
    Checkpoint checkpoint =
        SignedCheckpoint.open(
            log.checkpoint(log.size()), NoteVerifier.parse(log.verifierKey()), ORIGIN);
    assertThat(checkpoint.size()).isEqualTo(records.size());
    assertThat(checkpoint.rootHash()).isEqualTo(rootOf(records));
  }

  @Test
  void aCheckpointIsWrittenWhenTheLogGrewAndAtCloseAndTheLogReopensWithEverything()
      throws Exception {
    RocksAuditLog log = open(Duration.ofMillis(50));
    log.append(request("01A", "alice")).join();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> log.latestCheckpoint().map(this::size).orElse(0L) == 1L);
    log.append(end("01A")).join();
    log.close();

    RocksAuditLog again = open();
    assertThat(again.size()).isEqualTo(2);
    assertThat(again.latestCheckpoint().map(this::size)).contains(2L);
    long next = again.append(request("01B", "bob")).join();
    assertThat(next).isEqualTo(2);
    assertThat(JSON.readTree(all(again).get(2)).get("prev").asText())
        .isEqualTo(HexFormat.of().formatHex(MerkleHash.leafHash(all(again).get(1))));
  }

  private long size(String note) {
    try {
      return SignedCheckpoint.open(note, NoteVerifier.parse(opened.get(0).verifierKey()), ORIGIN)
          .size();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void exchangesCutShortAreClosedAsAbortedOnTheNextStart() throws Exception {
    RocksAuditLog log = open();
    log.append(request("01A", "alice")).join();
    log.append(List.of(request("01B", "bob"), end("01B"))).join();
    log.close();

    RocksAuditLog again = open();
    assertThat(again.size()).isEqualTo(4);
    JsonNode closing = JSON.readTree(all(again).get(3));
    assertThat(closing.get("type").asText()).isEqualTo("response_end");
    assertThat(closing.get("exchange_id").asText()).isEqualTo("01A");
    assertThat(closing.get("outcome").asText()).isEqualTo("aborted");
    again.close();

    assertThat(open().size()).as("closed once, not at every start").isEqualTo(4);
  }

  @Test
  void refusesToStartWhenRecordsASignedCheckpointCoveredAreGone() throws Exception {
    RocksAuditLog log = open();
    for (int i = 0; i < 10; i++) {
      log.append(request("X" + i, "alice")).join();
    }
    log.close(); // checkpoint of size 10

    try (AuditStore store = AuditStore.open(dataDir.resolve("audit"));
        WriteBatch batch = new WriteBatch()) {
      for (long seq = 6; seq < 10; seq++) {
        batch.delete(store.records(), Keys.seq(seq));
      }
      store.write(batch, true);
    }

    assertThatThrownBy(this::open)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("6 records but a checkpoint was signed for 10")
        .hasMessageContaining("rollback");
  }

  @Test
  void refusesToStartWhenARecordWrittenAfterTheCheckpointWasEdited() throws Exception {
    RocksAuditLog log = open();
    log.append(List.of(request("01A", "alice"), end("01A"))).join();
    log.close(); // checkpoint of size 2
    RocksAuditLog again = open();
    again.append(List.of(request("01B", "bob"), end("01B"))).join();
    again.close(); // checkpoint of size 4
    // as if the gateway had crashed before signing size 4, and record 2 was edited since
    try (AuditStore store = AuditStore.open(dataDir.resolve("audit"));
        WriteBatch batch = new WriteBatch()) {
      batch.delete(store.checkpoints(), Keys.seq(4));
      byte[] edited =
          new String(store.get(store.records(), Keys.seq(2)), UTF_8)
              .replace("bob", "eve")
              .getBytes(UTF_8);
      assertThat(edited).isNotEqualTo(store.get(store.records(), Keys.seq(2)));
      batch.put(store.records(), Keys.seq(2), edited);
      store.write(batch, true);
    }

    assertThatThrownBy(this::open)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("audit record 2 does not match its leaf hash");
  }

  @Test
  void pagesThroughExchangesThatShareAMillisecondWithoutSkippingOrRepeating() throws Exception {
    RocksAuditLog log = open(); // CLOCK is fixed: every exchange starts in the same millisecond
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      String id = dev.jitgw.core.exchange.ExchangeId.next(CLOCK);
      ids.add(id);
      log.append(request(id, i % 3 == 0 ? "alice" : "bob")).join();
    }
    Instant since = Instant.EPOCH;
    Instant until = CLOCK.instant().plusSeconds(1);

    for (Optional<String> subject : List.of(Optional.<String>empty(), Optional.of("bob"))) {
      List<String> paged = new ArrayList<>();
      Optional<AuditLog.ListPosition> after = Optional.empty();
      for (int page = 0; page < 30; page++) {
        List<AuditLog.ExchangeRef> refs = log.exchanges(subject, since, until, after, 4);
        refs.forEach(ref -> paged.add(ref.exchangeId()));
        if (refs.size() < 4) {
          break;
        }
        after = Optional.of(refs.get(refs.size() - 1).position());
      }
      List<String> all =
          log.exchanges(subject, since, until, 100).stream()
              .map(AuditLog.ExchangeRef::exchangeId)
              .toList();
      assertThat(all).hasSize(subject.isPresent() ? 15 : 23);
      assertThat(paged).as("pages of 4, subject %s", subject).containsExactlyElementsOf(all);
    }
  }

  @Test
  void findsTheRecordsOfAnExchangeAndListsExchangesNewestFirst() throws Exception {
    Instant[] now = {Instant.parse("2026-11-29T05:00:00Z")};
    Clock ticking =
        new Clock() {
          @Override
          public ZoneOffset getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now[0];
          }
        };
    RocksAuditLog log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(dataDir, ORIGIN, Duration.ofHours(1), ticking));
    opened.add(log);
    for (int i = 0; i < 5; i++) {
      log.append(request("EX" + i, i % 2 == 0 ? "alice" : "bob")).join();
      now[0] = now[0].plusSeconds(60);
    }
    log.append(end("EX1")).join();
    log.append(request("EX10", "alice")).join(); // an id that starts with EX1

    assertThat(log.exchange("EX1"))
        .extracting(r -> JSON.readTree(r).get("type").asText())
        .containsExactly("request", "response_end");
    assertThat(log.exchange("nope")).isEmpty();

    Instant t0 = Instant.parse("2026-11-29T05:00:00Z");
    assertThat(log.exchanges(Optional.empty(), t0, t0.plusSeconds(3600), 3))
        .extracting(AuditLog.ExchangeRef::exchangeId)
        .containsExactly("EX10", "EX4", "EX3");
    assertThat(log.exchanges(Optional.of("alice"), t0, t0.plusSeconds(240), 10))
        .extracting(AuditLog.ExchangeRef::exchangeId)
        .as("until is exclusive")
        .containsExactly("EX2", "EX0");
    assertThat(log.exchanges(Optional.of("bob"), t0.plusSeconds(120), t0.plusSeconds(3600), 10))
        .extracting(AuditLog.ExchangeRef::exchangeId, AuditLog.ExchangeRef::requestSeq)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("EX3", 3L));
  }

  @Test
  void theRecordsOfAnExchangeAreFoundWhereverTheirSubmissionsPutThem() throws Exception {
    RocksAuditLog log = open();
    // One index entry covers each run of an exchange's records in a submission; runs of one
    // record, and the entries stores written before runs, have an empty value.
    log.append(List.of(request("A", "alice"), end("A"), end("A"), request("B", "bob"))).join();
    log.append(List.of(end("B"), end("A"), end("B"), end("B"))).join();
    log.append(request("C", "carol")).join();

    assertThat(log.exchange("A"))
        .extracting(r -> JSON.readTree(r).get("seq").asLong())
        .containsExactly(0L, 1L, 2L, 5L);
    assertThat(log.exchange("B"))
        .extracting(r -> JSON.readTree(r).get("seq").asLong())
        .containsExactly(3L, 4L, 6L, 7L);
    assertThat(log.exchange("C"))
        .extracting(r -> JSON.readTree(r).get("seq").asLong())
        .containsExactly(8L);
    log.close();
    RocksAuditLog reopened = open();
    assertThat(reopened.exchange("A")).hasSize(4);
  }

  @Test
  void unawaitedRecordsAreWrittenInOrderWithTheNextAwaitedOneOrOnTheirOwn() throws Exception {
    RocksAuditLog log = open();
    CompletableFuture<Long> end = log.appendUnawaited(List.of(end("A"), end("A")));
    long request = log.append(request("B", "bob")).join();

    assertThat(end.join()).isEqualTo(0L);
    assertThat(request).isEqualTo(2L);
    // Alone, they still become durable.
    assertThat(log.appendUnawaited(List.of(end("B"))).join()).isEqualTo(3L);
    assertThat(log.size()).isEqualTo(4);
  }

  @Test
  void unawaitedRecordsWrittenBetweenAwaitedOnesFromManyCallersAreAllDurableOnceAnswered()
      throws Exception {
    RocksAuditLog log = open();
    int callers = 4;
    int exchanges = 300;
    List<CompletableFuture<Long>> ends = new ArrayList<>();
    List<Long> requests = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        String caller = "c" + c;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < exchanges; i++) {
                    String id = caller + "-" + i;
                    long seq = log.append(request(id, caller)).join();
                    // What an exchange's end does: appended, not waited for.
                    CompletableFuture<Long> end = log.appendUnawaited(List.of(end(id), end(id)));
                    synchronized (requests) {
                      requests.add(seq);
                      ends.add(end);
                    }
                  }
                }));
      }
      for (var future : done) {
        future.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdown();
    }
    Set<Long> seqs = new HashSet<>(requests);
    for (CompletableFuture<Long> end : ends) {
      long first = end.join();
      // Once answered, the records are within the durable size readers are bounded by.
      assertThat(first + 1).isLessThan(log.size());
      assertThat(seqs.add(first)).isTrue();
      assertThat(seqs.add(first + 1)).isTrue();
    }
    long total = 3L * callers * exchanges;
    assertThat(seqs).hasSize((int) total);
    assertThat(log.size()).isEqualTo(total);
    log.close();

    RocksAuditLog reopened = open();
    assertThat(reopened.size()).isEqualTo(total);
    assertThat(reopened.exchange("c3-" + (exchanges - 1))).hasSize(3);
  }

  @Test
  void aRecordOverTheSizeCapIsRefusedAndTheLogCarriesOn() throws Exception {
    RocksAuditLog log = open();
    ObjectNode fields = AuditRecord.fields().put("data", "x".repeat(70_000));

    assertThatThrownBy(() -> log.append(new AuditRecord("response_chunk", "01A", fields)).join())
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("records are at most 65536");
    assertThat(log.append(request("01A", "alice")).join()).isZero();
  }

  @Test
  void aFailedWriteFailsItsCallersMarksTheLogUnhealthyAndItRecovers() throws Exception {
    RocksAuditLog log = open();
    log.append(request("01A", "alice")).join();
    log.closeStoreForTesting(); // every write now fails, as a store in its error state does

    assertThatThrownBy(() -> log.append(end("01A")).join())
        .hasCauseInstanceOf(AuditUnavailableException.class);
    assertThat(log.healthy()).isFalse();
    assertThat(log.size()).isEqualTo(1);

    await().atMost(Duration.ofSeconds(10)).until(log::healthy); // the probe reopens the store
    assertThat(log.append(end("01A")).join()).isEqualTo(1);
    List<byte[]> records = all(log);
    assertThat(records).hasSize(2);
    assertThat(log.checkpoint(2)).isNotEmpty();
    Checkpoint checkpoint =
        SignedCheckpoint.open(log.checkpoint(2), NoteVerifier.parse(log.verifierKey()), ORIGIN);
    assertThat(checkpoint.rootHash()).isEqualTo(rootOf(records));
  }

  @Test
  void theCompactRangeOfAPrefixRecomputesTheRootWithTheRestOfTheRecords() throws Exception {
    RocksAuditLog log = open();
    for (int i = 0; i < 13; i++) {
      log.append(request("X" + i, "alice")).join();
    }
    List<byte[]> records = all(log);
    CompactRange range = CompactRange.of(5, log.compactRange(5));
    records.subList(5, 13).forEach(r -> range.append(MerkleHash.leafHash(r)));
    assertThat(range.root()).isEqualTo(rootOf(records));
  }

  @Test
  void appendsAfterCloseFailAndAReaderSeesWhatTheWriterWrote() throws Exception {
    RocksAuditLog log = open();
    log.append(request("01A", "alice")).join();
    RocksAuditLog reader = openReader();
    assertThat(reader.size()).isEqualTo(1);
    log.append(end("01A")).join();
    reader.refresh();
    assertThat(reader.size()).isEqualTo(2);
    assertThat(all(reader)).hasSize(2);
    assertThatThrownBy(() -> reader.append(end("01A")).join())
        .hasCauseInstanceOf(UnsupportedOperationException.class);

    log.close();
    assertThatThrownBy(() -> log.append(end("01A")).join())
        .hasCauseInstanceOf(AuditUnavailableException.class);
  }

  @Test
  void aReaderCountsOnlyWhatASyncedWriteMadeDurable() throws Exception {
    RocksAuditLog log = open();
    log.append(request("01A", "alice")).join();
    // Written at once without a sync (its sync is due 5 ms later), then the store fails first:
    // the record is in the WAL's bytes but was never synced.
    CompletableFuture<Long> end = log.appendUnawaited(List.of(end("01A")));
    Thread.sleep(1);
    log.closeStoreForTesting();
    assertThatThrownBy(end::join).hasCauseInstanceOf(AuditUnavailableException.class);

    RocksAuditLog reader = openReader();
    assertThat(reader.size()).isEqualTo(1);
    assertThat(all(reader)).hasSize(1);

    // Once the writer reopened the store and adopted what it held, a reader counts that too.
    await().atMost(Duration.ofSeconds(10)).until(log::healthy);
    reader.refresh();
    assertThat(reader.size()).isEqualTo(log.size());
    log.close();
    RocksAuditLog again = open();
    again.close();
    reader.refresh();
    assertThat(reader.size()).isEqualTo(again.size());
  }

  @Test
  void everySubmissionCompletesWhenTheStoreFailsUnderABurst() throws Exception {
    RocksAuditLog log = open();
    log.append(request("01A", "alice")).join();
    log.closeStoreForTesting();
    List<CompletableFuture<Long>> burst = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      burst.add(log.append(request("B" + i, "alice")));
    }
    // none may hang: each one is either written (after the probe reopened the store) or failed
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> burst.stream().allMatch(CompletableFuture::isDone));
    long written = burst.stream().filter(f -> !f.isCompletedExceptionally()).count();
    assertThat(log.size()).isEqualTo(1 + written);
  }

  @Test
  void checkpointsReadWhileTheStoreIsClosedAndReopenedFailCleanlyOrSucceed() throws Exception {
    RocksAuditLog log = open();
    for (int i = 0; i < 64; i++) {
      log.append(request("X" + i, "alice")).join();
    }
    java.util.concurrent.atomic.AtomicReference<Throwable> unexpected =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread reader =
          new Thread(
              () -> {
                java.util.Random random = new java.util.Random();
                while (!stop.get()) {
                  try {
                    log.checkpoint(1 + random.nextInt(63));
                    log.compactRange(random.nextInt(64));
                  } catch (IllegalStateException closed) {
                    // the store is closed at this instant: refused, not crashed
                  } catch (Throwable e) {
                    unexpected.compareAndSet(null, e);
                  }
                }
              });
      reader.start();
      readers.add(reader);
    }
    for (int round = 0; round < 3; round++) {
      log.closeStoreForTesting();
      log.append(end("X0")).exceptionally(e -> -1L).join(); // fails, and the probe reopens
      await().atMost(Duration.ofSeconds(10)).until(log::healthy);
    }
    stop.set(true);
    for (Thread reader : readers) {
      reader.join();
    }
    assertThat(unexpected.get()).isNull();
  }
}
