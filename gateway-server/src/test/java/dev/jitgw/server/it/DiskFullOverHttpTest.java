package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The data directory on a real 48 MiB tmpfs that fills up while callers keep sending: the first
 * request the log cannot take is answered 503 {@code audit_unavailable} and not forwarded,
 * readiness turns false, and once space returns the gateway serves again by itself. Needs
 * permission to mount a tmpfs (root, as in CI); skipped otherwise.
 */
class DiskFullOverHttpTest {
  private static Path work;
  private static Path mount;

  @RegisterExtension
  final GatewayHarness harness =
      new GatewayHarness(config -> config.withDataDir(mount.resolve("data")));

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void mountTmpfs() throws Exception {
    work = Files.createTempDirectory("jitgw-disk-full");
    mount = Files.createDirectories(work.resolve("small-disk"));
    assumeTrue(
        run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString()) == 0,
        "cannot mount a tmpfs here");
  }

  @AfterAll
  static void unmount() throws Exception {
    if (mount != null) {
      run("umount", "-l", mount.toString());
      Files.deleteIfExists(mount);
      Files.deleteIfExists(work);
    }
  }

  private static int run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getInputStream().readAllBytes();
    return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
  }

  private HttpResponse<String> post(String pad) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
            .header("authorization", "Bearer " + harness.token())
            .header("content-type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"claude-test-1\",\"max_tokens\":16,\"metadata\":{\"pad\":\""
                        + pad
                        + "\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private int readiness() throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(harness.adminUrl() + "/readyz")).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void aFullDiskRefusesWith503ForwardsNothingAndRecoversWhenSpaceReturns() throws Exception {
    assertThat(post("x").statusCode()).isEqualTo(200);
    Path filler = mount.resolve("filler");
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] block = new byte[64 * 1024];
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      // no space left on the device
    }

    // RocksDB's WAL may hold some preallocated slack: keep sending until the log is full.
    String pad = "p".repeat(256 * 1024);
    HttpResponse<String> refused = null;
    for (int i = 0; i < 400 && refused == null; i++) {
      int forwardedBefore = harness.upstream().requests().size();
      HttpResponse<String> response = post(pad);
      if (response.statusCode() == 200) {
        continue;
      }
      refused = response;
      assertThat(harness.upstream().requests())
          .as("the refused request was not forwarded")
          .hasSize(forwardedBefore);
    }
    assertThat(refused).as("the log never filled").isNotNull();
    assertThat(refused.statusCode()).isEqualTo(503);
    JsonNode error = FakeClaudeUpstream.JSON.readTree(refused.body());
    assertThat(error.path("request_id").asText())
        .isEqualTo(refused.headers().firstValue("jitgw-exchange-id").orElseThrow());
    assertThat(error.path("error").path("type").asText()).isEqualTo("api_error");
    assertThat(error.path("error").path("details").path("error_code").asText())
        .isEqualTo("audit_unavailable");
    assertThat(readiness()).isEqualTo(503);

    Files.delete(filler);
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> readiness() == 200);
    int forwarded = harness.upstream().requests().size();
    assertThat(post("x").statusCode()).isEqualTo(200);
    assertThat(harness.upstream().requests()).hasSize(forwarded + 1);
  }
}
