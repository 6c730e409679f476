package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.server.cli.JitgwCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A backup of a running gateway's data directory opens as a data directory of its own, with every
 * exchange recorded before it was taken; only admins may take one.
 */
class BackupTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension final GatewayHarness harness = new GatewayHarness();

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> backup(String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.adminUrl() + "/api/backup"))
            .header("authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String admin() {
    return harness.identityProvider().token().subject("root").groups("jitgw-admins").sign();
  }

  @Test
  void aBackupOpensAsTheLogAsItStoodWithItsKey() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                  .header("authorization", "Bearer " + harness.token())
                  .header("content-type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"model\":\"claude-test-1\",\"max_tokens\":8,"
                              + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).isEqualTo(200);
      ids.add(answer.headers().firstValue("jitgw-exchange-id").orElseThrow());
    }
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> harness.gateway().auditLog().exchange(ids.get(2)).size() >= 4);
    long before = harness.gateway().auditLog().size();

    HttpResponse<String> response = backup(admin());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode result = JSON.readTree(response.body());
    Path directory = Path.of(result.get("directory").asText());
    assertThat(directory.getParent())
        .isEqualTo(harness.gateway().config().dataDir().resolve("backups"));
    assertThat(result.get("audit_records").asLong()).isGreaterThanOrEqualTo(before);
    assertThat(directory.resolve("manifest.json")).isRegularFile();
    assertThat(directory.resolve("audit-key")).isDirectoryContaining(p -> Files.isRegularFile(p));
    assertThat(result.get("files").toString()).contains("keys/");

    // The copy opens (the start-up checks against its last signed checkpoint pass) and holds
    // every exchange recorded before the backup.
    try (RocksAuditLog copy =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                directory,
                harness.gateway().config().audit().origin(),
                Duration.ofSeconds(5),
                Clock.systemUTC()))) {
      assertThat(copy.size()).isGreaterThanOrEqualTo(before);
      assertThat(copy.verifierKey()).isEqualTo(harness.gateway().auditLog().verifierKey());
      for (String id : ids) {
        assertThat(copy.exchange(id)).isNotEmpty();
      }
    }
  }

  @Test
  void onlyAdminsMayBackUp() throws Exception {
    HttpResponse<String> response = backup(harness.token());

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(harness.gateway().config().dataDir().resolve("backups")).doesNotExist();
  }

  @Test
  void theCommandLineAsksTheRunningGateway(@TempDir Path dir) throws Exception {
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, admin());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = JitgwCommand.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));

    int code =
        cli.execute(
            "backup", "--admin-url", harness.adminUrl(), "--token-file", tokenFile.toString());

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("backed up").contains("backups");
  }
}
