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
  void policyCheckAcceptsTheSamplePolicy() {
    Run run = run("policy", "check", "../config/policy.yaml");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("OK").contains("4 rule(s)");
  }

  @Test
  void policyCheckRefusesABadPolicyNamingLineAndRule(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        "version: 1\nrules:\n  - name: fine\n    when: \"true\"\n    deny: no\n"
            + "  - name: broken\n    when: request.model ==\n    allow: {}\n");
    Run run = run("policy", "check", policy.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("line 6").contains("rule 'broken'").contains("CEL");
  }

  @Test
  void policyTestExplainsTheDecision(@TempDir Path dir) throws Exception {
    Path claims =
        Files.writeString(
            dir.resolve("claims.json"), "{\"sub\":\"bob\",\"groups\":[\"ml-leads\"]}");
    Path request =
        Files.writeString(
            dir.resolve("request.json"),
            "{\"model\":\"claude-opus-4-1\",\"max_tokens\":100,\"messages\":[]}");
    Run run =
        run(
            "policy",
            "test",
            "--policy",
            "../config/policy.yaml",
            "--claims",
            claims.toString(),
            "--request",
            request.toString());
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .contains("decision: allow (rule everyone)")
        .contains("opus-needs-leads")
        .contains("false  !(\"ml-leads\" in identity.groups)");
  }

  @Test
  void keysRotateAddsASigningKey(@TempDir Path dir) {
    Run first = run("keys", "list", "--data-dir", dir.toString());
    assertThat(first.exitCode()).isZero();
    assertThat(first.out().lines()).hasSize(1);
    Run rotate = run("keys", "rotate", "--data-dir", dir.toString());
    assertThat(rotate.exitCode()).isZero();
    String kid = rotate.out().trim().replace("new signing key ", "");
    Run after = run("keys", "list", "--data-dir", dir.toString());
    assertThat(after.out().lines()).hasSize(2);
    assertThat(after.out()).contains(kid + "  (signing)");
  }

  @Test
  void serveStopsOnABadFlag() {
    Run run = run("serve", "--listen", "no-port-here");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--listen").contains("no-port-here");
  }
}
