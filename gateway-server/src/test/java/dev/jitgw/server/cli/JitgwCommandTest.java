package dev.jitgw.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class JitgwCommandTest {

  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = JitgwCommand.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void helpListsTheSubcommands() {
    Run run = run("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("serve").contains("Just-in-time access gateway");
  }

  @Test
  void everySubcommandHasHelp() {
    for (String name : JitgwCommand.newCommandLine().getSubcommands().keySet()) {
      if (name.equals("help")) {
        continue;
      }
      Run run = run(name, "--help");
      assertThat(run.exitCode()).as(name).isZero();
      assertThat(run.out()).as(name).contains("Usage: jitgw " + name);
    }
  }

  @Test
  void serveStopsOnABadConfigFileNamingFileAndLine(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("gateway.yaml");
    Files.writeString(
        config, "listen: 127.0.0.1:0\nupstream:\n  url: https://x.example\n  tiemout: 5s\n");
    Run run = run("serve", "--config", config.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains(config.toString()).contains("line 4").contains("tiemout");
  }

  @Test
  void serveStopsOnABadFlag() {
    Run run = run("serve", "--listen", "no-port-here");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--listen").contains("no-port-here");
  }
}
