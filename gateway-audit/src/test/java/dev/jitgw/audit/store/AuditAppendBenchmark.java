package dev.jitgw.audit.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Durable appends with group commit: every call waits until its record is synced. Run with many
 * threads (each is one exchange waiting for its request record), e.g.
 *
 * <pre>bench/jmh.sh gateway-audit AuditAppendBenchmark -f 1 -wi 2 -i 5 -t 64</pre>
 *
 * <p>{@code thrpt} is durable records per second; {@code sample} gives the latency one durable
 * {@code request}-sized record adds (p50/p99).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.SECONDS)
public class AuditAppendBenchmark {
  private Path dataDir;
  private RocksAuditLog log;
  private AuditRecord record;

  @Setup
  public void open() throws IOException {
    dataDir = Files.createTempDirectory("jitgw-audit-bench");
    log =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                dataDir, "bench/audit", Duration.ofSeconds(5), Clock.systemUTC()));
    ObjectNode fields = AuditRecord.fields();
    fields.putObject("identity").put("sub", "alice").put("iss", "https://idp.example");
    fields.put("method", "POST").put("path", "/v1/messages");
    fields.putObject("headers").put("anthropic-version", "2023-06-01");
    fields.put("body_size", 600).put("body_encoding", "utf-8").put("body_parts", 1);
    fields.put(
        "data",
        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"messages\":"
            + "[{\"role\":\"user\",\"content\":\""
            + "x".repeat(500)
            + "\"}]}");
    record = new AuditRecord(AuditRecord.REQUEST, "ex_01JBENCHMARK0000000000000", fields);
  }

  @TearDown
  public void close() throws IOException {
    log.close();
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** One caller waiting for its record (closed loop: run with many threads). */
  @Benchmark
  public long durableAppend() {
    return log.append(record).join();
  }

  /**
   * A burst of records submitted without waiting, then waiting for the last (as response pieces
   * are): the writer's own durable throughput, with batches as large as the queue allows.
   */
  @Benchmark
  @OperationsPerInvocation(BURST)
  public long durableBurst() {
    CompletableFuture<Long> last = null;
    for (int i = 0; i < BURST; i++) {
      last = log.append(record);
    }
    return last.join();
  }

  static final int BURST = 1000;
}
