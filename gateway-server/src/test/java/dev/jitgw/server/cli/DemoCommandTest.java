package dev.jitgw.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.server.demo.Demo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code jitgw demo} through the command line: its output is what a newcomer copies. */
class DemoCommandTest {
  private record Run(int exitCode, String out, String err) {}

  /** Runs {@code jitgw demo ARGS}; {@code whileRunning} gets the demo and what it has printed. */
  private static Run run(
      Map<String, String> environment, BiConsumer<Demo, String> whileRunning, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli =
        new CommandLine(
            new DemoCommand(environment, demo -> whileRunning.accept(demo, out.toString())));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void theCurlCommandCopiedFromTheOutputGetsASimulatedAnswer(@TempDir Path dir) {
    AtomicReference<String> answer = new AtomicReference<>();
    Run run =
        run(
            Map.of(),
            (demo, printed) -> {
              List<String> lines = Arrays.asList(printed.split("\n"));
              String export =
                  lines.stream()
                      .filter(l -> l.startsWith("export JITGW_TOKEN="))
                      .findFirst()
                      .orElseThrow();
              answer.set(shell(export + "\n" + command(lines, "curl -sS -i ")));
            },
            "--port",
            "0",
            "--admin-port",
            "0",
            "--issuer-port",
            "0",
            "--data-dir",
            dir.resolve("demo-data").toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("SIMULATED Claude").contains("admin          http://127.0.0.1:");
    assertThat(answer.get())
        .startsWith("HTTP/1.1 200")
        .contains("jitgw-simulated-upstream: true")
        .contains("[simulated Claude] ");
    assertThat(dir.resolve("demo-data").resolve("audit")).isDirectory();
  }

  @Test
  void withAnApiKeyInTheEnvironmentTheRealApiIsNamedAndNothingIsSimulated(@TempDir Path dir) {
    AtomicReference<Boolean> simulated = new AtomicReference<>();
    Run run =
        run(
            Map.of("ANTHROPIC_API_KEY", "sk-ant-api03-not-a-real-key"),
            (demo, printed) -> simulated.set(demo.simulatedUpstream().isPresent()),
            "--port",
            "0",
            "--admin-port",
            "0",
            "--issuer-port",
            "0",
            "--data-dir",
            dir.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(simulated.get()).isFalse();
    assertThat(run.out())
        .contains("the real Claude API, https://api.anthropic.com")
        .doesNotContain("SIMULATED");
  }

  @Test
  void aBadPolicyStopsTheDemoNamingTheFile(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy, "version: 1\nrules:\n  - name: x\n    when: nonsense(\n    allow: {}\n");
    Run run =
        run(
            Map.of(),
            (demo, printed) -> {
              throw new AssertionError("must not start");
            },
            "--port",
            "0",
            "--admin-port",
            "0",
            "--issuer-port",
            "0",
            "--data-dir",
            dir.resolve("data").toString(),
            "--policy",
            policy.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains(policy.toString());
    assertThat(run.out()).doesNotContain("JITGW_TOKEN");
  }

  @Test
  void aPortInUseStopsTheDemoSayingHowToPickAnother(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Run run =
          run(
              Map.of(),
              (demo, printed) -> {
                throw new AssertionError("must not start");
              },
              "--port",
              "0",
              "--admin-port",
              "0",
              "--issuer-port",
              String.valueOf(taken.getLocalPort()),
              "--data-dir",
              dir.toString());
      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(run.err()).contains("127.0.0.1:" + taken.getLocalPort()).contains("--issuer-port");
    }
  }

  @Test
  void defaultsAreThePortsOfServeAndADemoDataDirectory() {
    DemoCommand command = new DemoCommand(Map.of(), demo -> {});
    new CommandLine(command).parseArgs();
    assertThat(command.port).isEqualTo(8080);
    assertThat(command.adminPort).isEqualTo(9090);
    assertThat(command.dataDir).isEqualTo(Path.of("demo-data"));
    assertThat(command.policy).isNull();
  }

  /** One printed command: from the line starting with {@code prefix} to its last continuation. */
  private static String command(List<String> lines, String prefix) {
    StringBuilder command = new StringBuilder();
    boolean in = false;
    for (String line : lines) {
      if (!in && line.startsWith(prefix)) {
        in = true;
      }
      if (in) {
        command.append(line).append('\n');
        if (!line.endsWith("\\")) {
          return command.toString();
        }
      }
    }
    throw new AssertionError("no command starting with '" + prefix + "' in the output");
  }

  private static String shell(String script) {
    try {
      Process process = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as(output).isZero();
      return output;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
