package dev.jitgw.audit.record;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.ExchangeId;
import dev.jitgw.core.identity.Identity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The audit log as the data plane uses it. {@link #exchange}: one exchange per call, the {@code
 * request} record with its body and decision, waited for (nothing goes upstream before it is
 * durable), then the response head, the pieces, the masking counts and the end, not waited for — as
 * {@link ExchangeRecorder} does for an exchange of {@code bench/side-by-side.sh}. Run with as many
 * threads as the side-by-side run has connections:
 *
 * <pre>bench/jmh.sh gateway-audit 'ExchangeAuditBenchmark.exchange' -p responseKind=json -f 1 -wi 3
 * -w 5s -i 5 -r 5s -t 32</pre>
 *
 * <p>{@code thrpt} is exchanges per second through the one writer thread, which is what bounds the
 * gateway's requests per second with durable audit on. {@link #nextRequest} is the wait of one
 * streaming caller's next request record (the time to first byte's share).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ExchangeAuditBenchmark {

  /** The log, shared by all threads. */
  @State(Scope.Benchmark)
  public static class Log {
    Path dataDir;
    RocksAuditLog log;

    @Setup(Level.Trial)
    public void open() throws IOException {
      dataDir = Files.createTempDirectory("jitgw-exchange-bench");
      log =
          RocksAuditLog.open(
              RocksAuditLog.Settings.inDataDirectory(
                  dataDir, "bench/audit", Duration.ofSeconds(5), Clock.systemUTC()));
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      log.close();
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** One caller: its exchange ids, and the request and response of the side-by-side run. */
  @State(Scope.Thread)
  public static class Caller {
    /**
     * {@code json}: the 552-byte Messages body in one piece; {@code sse}: the side-by-side run's
     * 200-event stream (24 KB), one piece per event, as the data plane writes it.
     */
    @Param({"json", "sse"})
    String responseKind;

    byte[][] pieces;

    final Identity identity =
        new Identity(
            "bench-user",
            "http://127.0.0.1:18090/idp",
            List.of("eng", "bench"),
            Optional.of("benchmark"),
            Map.of(),
            Instant.parse("2026-11-29T00:00:00Z"),
            Optional.empty());
    final Map<String, String> headers = new LinkedHashMap<>();
    final Decision decision =
        new Decision.Allow(
            "everyone", List.of("secrets", "pii"), Optional.empty(), Optional.empty());
    byte[] body;
    byte[] response;
    Map<String, String> responseHeaders = new LinkedHashMap<>();
    final Clock clock = Clock.systemUTC();

    @Setup(Level.Trial)
    public void prepare() throws IOException {
      headers.put("host", "127.0.0.1:18080");
      headers.put("content-type", "application/json");
      headers.put("anthropic-version", "2023-06-01");
      headers.put("content-length", "1640");
      body =
          Files.readAllBytes(
              Path.of(System.getProperty("user.dir"), "..", "bench", "messages-request.json"));
      response =
          ("{\"id\":\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
                  + "\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":\""
                  + "The gateway answered. ".repeat(18)
                  + "\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":412,"
                  + "\"output_tokens\":96}}")
              .getBytes(UTF_8);
      responseHeaders.put("content-type", "application/json");
      responseHeaders.put("content-length", Integer.toString(response.length));
      if (responseKind.equals("json")) {
        pieces = new byte[][] {response};
      } else {
        pieces = new byte[200][];
        for (int i = 0; i < pieces.length; i++) {
          pieces[i] =
              ("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                      + "\"delta\":{\"type\":\"text_delta\",\"text\":\"The gateway answered, "
                      + i
                      + ". \"}}\n\n")
                  .getBytes(UTF_8);
        }
        responseHeaders.put("content-type", "text/event-stream");
        responseHeaders.remove("content-length");
      }
    }
  }

  /**
   * A streaming caller's next request on its connection: the previous exchange's response records
   * were appended (not waited for) half a millisecond before, about when the next request of the
   * side-by-side run's time-to-first-byte loop reaches the writer. Measures that request record's
   * wait alone; run single-threaded in sample mode:
   *
   * <pre>bench/jmh.sh gateway-audit 'ExchangeAuditBenchmark.nextRequest' -t 1 -bm sample</pre>
   */
  @State(Scope.Thread)
  public static class Turnaround {
    ExchangeRecorder next;

    @Setup(Level.Invocation)
    public void previousResponse(Log log, Caller caller) {
      if (next != null) {
        respond(next, caller);
      }
      next = new ExchangeRecorder(log.log, ExchangeId.next(caller.clock), System.nanoTime());
      java.util.concurrent.locks.LockSupport.parkNanos(500_000);
    }
  }

  @Benchmark
  public void nextRequest(Turnaround turnaround, Caller caller) {
    request(turnaround.next, caller).join();
  }

  private static java.util.concurrent.CompletableFuture<Long> request(
      ExchangeRecorder recorder, Caller caller) {
    return recorder.request(
        caller.identity,
        "POST",
        "/v1/messages",
        caller.headers,
        caller.body,
        null,
        caller.decision,
        "v1");
  }

  private static void respond(ExchangeRecorder recorder, Caller caller) {
    recorder.responseHead(200, caller.responseHeaders);
    for (byte[] piece : caller.pieces) {
      recorder.piece(piece);
    }
    recorder.masking(Map.of("email", 0L));
    recorder.end("complete", 200, Map.of("input_tokens", 412L, "output_tokens", 96L), null);
  }

  @Benchmark
  public void exchange(Log log, Caller caller) {
    ExchangeRecorder recorder =
        new ExchangeRecorder(log.log, ExchangeId.next(caller.clock), System.nanoTime());
    request(recorder, caller).join();
    respond(recorder, caller);
  }
}
