package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.policy.testing.TestIdentityProvider;
import dev.jitgw.server.cli.JitgwCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A real {@code serve} process killed with SIGKILL at random points, over and over, under
 * concurrent load, always on the same data directory. At the end every exchange a caller got a
 * response status for has its {@code request} record, every recorded exchange is ended exactly
 * once, the sequence numbers are dense and unique, and the export verifies.
 *
 * <p>The kill points are random but reproducible: the seed is printed, and {@code
 * -Djitgw.killLoop.seed=N} replays a run.
 */
class KillNineLoopTest {
  private static final int ITERATIONS = 20;
  private static final int CALLERS = 6;

  @TempDir Path work;

  private TestIdentityProvider identityProvider;
  private FakeClaudeUpstream upstream;
  private Process process;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** Exchange id → the status the caller received. */
  private final Map<String, Integer> acknowledged = new ConcurrentHashMap<>();

  private List<String> nativeOptions;

  @BeforeEach
  void start() throws Exception {
    nativeOptions = RocksNatives.jvmOptions(work.resolve("native"));
    identityProvider = new TestIdentityProvider();
    upstream = new FakeClaudeUpstream();
  }

  @AfterEach
  void stop() {
    if (process != null) {
      process.destroyForcibly();
    }
    upstream.close();
    identityProvider.close();
  }

  private Process launch(int iteration, int port, int adminPort) throws Exception {
    List<String> jvmOptions = new ArrayList<>();
    // Start fast: the loop starts twenty-odd JVMs.
    jvmOptions.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"));
    jvmOptions.addAll(nativeOptions);
    return ChildProcess.serve(
        jvmOptions,
        ChildProcess.settings(work, port, adminPort, upstream.url(), identityProvider.issuer()),
        work.resolve("native"),
        log(iteration));
  }

  private void awaitReady(Process process, int adminPort, int iteration) throws Exception {
    ChildProcess.awaitReady(http, process, adminPort, log(iteration));
  }

  private Path log(int iteration) {
    return work.resolve("gateway-" + iteration + ".log");
  }

  /** Waits (up to 60 s) until the process has logged {@code text}. */
  private void awaitLog(Process process, int iteration, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!readLog(iteration).contains(text)) {
      assertThat(process.isAlive()).as("gateway %d exited early", iteration).isTrue();
      assertThat(System.nanoTime())
          .as("gateway %d never logged %s", iteration, text)
          .isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private String readLog(int iteration) {
    return ChildProcess.readLog(log(iteration));
  }

  /** One caller: sends messages until told to stop, noting each status it receives. */
  private Thread caller(int port, int n, AtomicBoolean running) {
    Thread thread =
        new Thread(
            () -> {
              int i = 0;
              while (running.get()) {
                boolean stream = (n + i++) % 2 == 0;
                HttpRequest request =
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/messages"))
                        .header("authorization", "Bearer " + identityProvider.token().sign())
                        .header("content-type", "application/json")
                        .timeout(Duration.ofSeconds(10))
                        .POST(
                            HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"claude-test-1\",\"max_tokens\":16,\"stream\":"
                                    + stream
                                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"caller "
                                    + n
                                    + "\"}]}"))
                        .build();
                try {
                  // Noted as soon as the status line and headers arrive, before the body.
                  http.send(
                      request,
                      info -> {
                        info.headers()
                            .firstValue("jitgw-exchange-id")
                            .ifPresent(id -> acknowledged.put(id, info.statusCode()));
                        return HttpResponse.BodySubscribers.discarding();
                      });
                } catch (java.io.IOException killed) {
                  // The gateway died under this call; the next one fails fast until it stops.
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "kill-loop-caller-" + n);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static int run(StringWriter out, String... args) {
    CommandLine command = new CommandLine(new JitgwCommand());
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(out, true));
    return command.execute(args);
  }

  @Test
  void everyAcknowledgedExchangeSurvivesRepeatedKillNine() throws Exception {
    long seed = Long.getLong("jitgw.killLoop.seed", System.nanoTime());
    System.out.println("KillNineLoopTest seed: " + seed + " (-Djitgw.killLoop.seed=" + seed + ")");
    Random random = new Random(seed);
    int killedDuringStartup = 0;

    for (int iteration = 0; iteration < ITERATIONS; iteration++) {
      int port = ChildProcess.freePort();
      int adminPort = ChildProcess.freePort();
      process = launch(iteration, port, adminPort);
      if (iteration > 0 && random.nextInt(5) == 0) {
        // Sometimes while it opens the store and closes the exchanges the last kill cut short:
        // the policy is loaded just before the store is opened.
        awaitLog(process, iteration, "GatewayServer - policy ");
        Thread.sleep(random.nextInt(1500));
        killedDuringStartup++;
      } else {
        awaitReady(process, adminPort, iteration);
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> callers = new ArrayList<>();
        for (int n = 0; n < CALLERS; n++) {
          callers.add(caller(port, n, running));
        }
        Thread.sleep(100 + random.nextInt(900));
        process.destroyForcibly(); // SIGKILL, under load
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        running.set(false);
        for (Thread thread : callers) {
          thread.join(TimeUnit.SECONDS.toMillis(15));
          assertThat(thread.isAlive()).as("caller still stuck after the kill").isFalse();
        }
        continue;
      }
      process.destroyForcibly();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    System.out.println(
        "KillNineLoopTest: "
            + ITERATIONS
            + " kills ("
            + killedDuringStartup
            + " during start-up), "
            + acknowledged.size()
            + " acknowledged exchanges");

    // One last start closes what the last kill cut short; a clean stop then closes the store.
    int port = ChildProcess.freePort();
    int adminPort = ChildProcess.freePort();
    process = launch(ITERATIONS, port, adminPort);
    awaitReady(process, adminPort, ITERATIONS);
    process.destroy(); // SIGTERM: drain and close
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    Path export = work.resolve("export");
    StringWriter output = new StringWriter();
    assertThat(
            run(
                output,
                "audit",
                "export",
                "--data-dir",
                work.resolve("data").toString(),
                "--out",
                export.toString()))
        .as(output.toString())
        .isZero();
    assertThat(run(output, "audit", "verify", export.toString())).as(output.toString()).isZero();
    assertThat(output.toString()).contains("OK: ");

    List<String> lines = Files.readAllLines(export.resolve("records.jsonl"), UTF_8);
    Map<String, Integer> requests = new HashMap<>();
    Map<String, Integer> ends = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      JsonNode record = FakeClaudeUpstream.JSON.readTree(lines.get(i));
      assertThat(record.path("seq").asLong()).as("line %d", i + 1).isEqualTo(i);
      String exchange = record.path("exchange_id").asText();
      switch (record.path("type").asText()) {
        case "request" -> requests.merge(exchange, 1, Integer::sum);
        case "response_end" -> ends.merge(exchange, 1, Integer::sum);
        default -> {}
      }
    }

    assertThat(acknowledged).as("the load reached the gateway").isNotEmpty();
    assertThat(acknowledged.values()).as("statuses the callers got").containsOnly(200);
    assertThat(requests.keySet())
        .as("acknowledged exchanges missing from the log")
        .containsAll(acknowledged.keySet());
    assertThat(requests.values()).as("an exchange's request recorded twice").containsOnly(1);
    assertThat(ends).as("every recorded exchange ends once").isEqualTo(requests);
  }
}
