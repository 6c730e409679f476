package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.policy.testing.TestIdentityProvider;
import dev.jitgw.server.cli.JitgwCommand;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A real process killed with SIGKILL mid-stream: after a restart the log holds every request that
 * was forwarded, the cut exchange is closed as aborted, and an export taken while the gateway runs
 * verifies offline.
 */
class CrashRecoveryTest {
  @TempDir Path dataDir;
  @TempDir Path exportDir;

  private TestIdentityProvider identityProvider;
  private FakeClaudeUpstream upstream;
  private final List<Process> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private int port;
  private int adminPort;

  @BeforeEach
  void start() throws Exception {
    identityProvider = new TestIdentityProvider();
    upstream = new FakeClaudeUpstream();
    port = ChildProcess.freePort();
    adminPort = ChildProcess.freePort();
  }

  @AfterEach
  void stop() {
    processes.forEach(Process::destroyForcibly);
    upstream.close();
    identityProvider.close();
  }

  private Process startGateway() throws Exception {
    Path log = dataDir.resolve("gateway-" + processes.size() + ".log");
    Process process =
        ChildProcess.serve(
            List.of(),
            ChildProcess.settings(
                dataDir, port, adminPort, upstream.url(), identityProvider.issuer()),
            dataDir.resolve("native"),
            log);
    processes.add(process);
    ChildProcess.awaitReady(http, process, adminPort, log);
    return process;
  }

  private String message() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/messages"))
                .header("authorization", "Bearer " + identityProvider.token().sign())
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-test-1\",\"max_tokens\":16,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.headers().firstValue("jitgw-exchange-id").orElseThrow();
  }

  private static int run(StringWriter out, String... args) {
    CommandLine command = new CommandLine(new JitgwCommand());
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(out, true));
    return command.execute(args);
  }

  @Test
  void afterKillNineTheLogHasEveryForwardedRequestTheCutStreamIsAbortedAndTheExportVerifies()
      throws Exception {
    Process first = startGateway();
    List<String> completed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      completed.add(message());
    }
    String streamId;
    try (Socket socket = new Socket("127.0.0.1", port)) {
      String body =
          "{\"model\":\"claude-test-endless\",\"max_tokens\":16,\"stream\":true,"
              + "\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}";
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/messages HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
                  + identityProvider.token().sign()
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length()
                  + "\r\n\r\n"
                  + body)
              .getBytes(UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      while (received.size() < 64 * 1024) {
        int n = in.read(buffer);
        assertThat(n).isPositive();
        received.write(buffer, 0, n);
      }
      String head = received.toString(UTF_8);
      int at = head.toLowerCase().indexOf("jitgw-exchange-id: ");
      streamId = head.substring(at + 19, head.indexOf('\r', at));
      first.destroyForcibly(); // SIGKILL, mid-stream
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    startGateway();

    StringWriter output = new StringWriter();
    int exported =
        run(
            output,
            "audit",
            "export",
            "--data-dir",
            dataDir.resolve("data").toString(),
            "--out",
            exportDir.toString());
    assertThat(exported).as(output.toString()).isZero();
    int verified = run(output, "audit", "verify", exportDir.toString());
    assertThat(verified).as(output.toString()).isZero();
    assertThat(output.toString()).contains("OK: ");

    List<String> lines = Files.readAllLines(exportDir.resolve("records.jsonl"), UTF_8);
    for (String id : completed) {
      assertThat(lines)
          .anyMatch(l -> l.contains("\"type\":\"request\"") && l.contains("\"" + id + "\""));
    }
    assertThat(lines)
        .filteredOn(l -> l.contains("\"" + streamId + "\"") && l.contains("response_end"))
        .singleElement()
        .satisfies(l -> assertThat(l).contains("\"outcome\":\"aborted\""));
    java.io.PrintStream stdout = System.out;
    ByteArrayOutputStream replayed = new ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(replayed, true, UTF_8));
    int replay;
    try {
      replay =
          run(output, "replay", completed.get(0), "--export", exportDir.toString(), "--speed", "0");
    } finally {
      System.setOut(stdout);
    }
    assertThat(replay).as(output.toString()).isZero();
    assertThat(replayed.toString(UTF_8)).contains(FakeClaudeUpstream.TEXT);
    for (int i = 0; i < lines.size(); i++) {
      assertThat(lines.get(i)).startsWith("{\"seq\":" + i + ",");
    }
  }
}
