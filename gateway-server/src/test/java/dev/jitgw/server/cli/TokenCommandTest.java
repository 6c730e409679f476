package dev.jitgw.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.server.demo.DevIssuer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code jitgw token}: development tokens from a running demo's issuer, and only from one. */
class TokenCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private DevIssuer issuer;

  private record Run(int exitCode, String out, String err) {}

  @BeforeEach
  void startIssuer() {
    issuer = DevIssuer.start(0, Clock.systemUTC());
  }

  @AfterEach
  void stopIssuer() {
    issuer.close();
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = JitgwCommand.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static JsonNode claims(String token) throws Exception {
    String[] parts = token.strip().split("\\.");
    assertThat(parts).hasSize(3);
    return JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
  }

  @Test
  void aDemoUsersTokenCarriesItsGroups() throws Exception {
    Run run = run("token", "--user", "approver", "--issuer-url", issuer.issuer());

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode claims = claims(run.out());
    assertThat(claims.get("sub").asText()).isEqualTo("approver");
    assertThat(claims.get("iss").asText()).isEqualTo(issuer.issuer());
    assertThat(claims.get("aud").toString()).contains("jitgw");
    assertThat(claims.get("groups").toString()).contains("security");
  }

  @Test
  void anySubjectGroupsAndLifetime() throws Exception {
    Run run =
        run(
            "token",
            "--sub",
            "ci-bot",
            "--groups",
            "ci,eng",
            "--ttl",
            "5m",
            "--issuer-url",
            issuer.issuer());

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode claims = claims(run.out());
    assertThat(claims.get("sub").asText()).isEqualTo("ci-bot");
    assertThat(claims.get("groups").toString()).contains("ci").contains("eng");
    assertThat(claims.get("exp").asLong() - claims.get("iat").asLong()).isEqualTo(300);
  }

  @Test
  void aRefusalOfTheIssuerIsPrintedWithExitStatusOne() {
    Run run = run("token", "--sub", "x", "--ttl", "5h", "--issuer-url", issuer.issuer());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("ttl");
  }

  @Test
  void withoutARunningDemoItSaysToStartOne() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Run run = run("token", "--user", "dev", "--issuer-url", "http://127.0.0.1:" + port);

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("bin/jitgw demo");
  }

  @Test
  void exactlyOneOfSubAndUser() {
    assertThat(run("token", "--issuer-url", issuer.issuer()).exitCode()).isEqualTo(2);
    assertThat(run("token", "--sub", "a", "--user", "dev").exitCode()).isEqualTo(2);
  }
}
