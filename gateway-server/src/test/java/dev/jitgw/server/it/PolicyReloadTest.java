package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A changed policy file is compiled whole and swapped in; a bad one is refused, the old stays. */
class PolicyReloadTest {
  private static final Path POLICY = policyFile();
  private static final String ALLOW_ALL =
      "version: 1\nrules:\n  - name: everyone\n    when: \"true\"\n    allow: {}\n";
  private static final String DENY_OPUS =
      "version: 1\nrules:\n  - name: no-opus\n    when: request.model.startsWith(\"claude-opus\")\n"
          + "    deny: not today\n  - name: everyone\n    when: \"true\"\n    allow: {}\n";

  @RegisterExtension
  static final GatewayHarness harness = new GatewayHarness(c -> c.withPolicyFile(POLICY));

  private static final HttpClient http = HttpClient.newHttpClient();

  private static Path policyFile() {
    try {
      Path file = Files.createTempFile("jitgw-reload", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(file, ALLOW_ALL);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String admin() {
    return harness.identityProvider().token().groups("jitgw-admins").sign();
  }

  private static HttpResponse<String> admin(String method, String path, String token)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.adminUrl() + path))
            .header("authorization", "Bearer " + token)
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String version() throws Exception {
    return FakeClaudeUpstream.JSON
        .readTree(admin("GET", "/api/policy", admin()).body())
        .path("version")
        .asText();
  }

  private static int opus() throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                .header("authorization", "Bearer " + harness.token())
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-opus-4-1\",\"max_tokens\":8,\"messages\":[]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  @Test
  void goodVersionsAreSwappedInAndBadOnesRefused() throws Exception {
    JsonNode first = FakeClaudeUpstream.JSON.readTree(admin("GET", "/api/policy", admin()).body());
    assertThat(first.path("rules").get(0).path("name").asText()).isEqualTo("everyone");
    assertThat(opus()).isEqualTo(200);
    assertThat(admin("GET", "/api/policy", harness.token()).statusCode())
        .as("not an admin")
        .isEqualTo(403);

    // The file watcher picks up a changed file.
    String before = first.path("version").asText();
    Files.writeString(POLICY, DENY_OPUS);
    await().atMost(Duration.ofSeconds(20)).until(() -> !version().equals(before));
    assertThat(opus()).isEqualTo(403);
    String good = version();

    // A broken version is refused whole, with line, rule and CEL error; the old one stays.
    Files.writeString(
        POLICY,
        DENY_OPUS.replace(
            "request.model.startsWith(\"claude-opus\")", "request.model.startsWith("));
    HttpResponse<String> refused = admin("POST", "/api/policy/reload", admin());
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("line 3").contains("no-opus").contains("CEL");
    assertThat(version()).isEqualTo(good);
    assertThat(opus()).isEqualTo(403);

    // An explicit reload of a good version answers with it.
    Files.writeString(POLICY, ALLOW_ALL);
    HttpResponse<String> reloaded = admin("POST", "/api/policy/reload", admin());
    assertThat(reloaded.statusCode()).isEqualTo(200);
    assertThat(FakeClaudeUpstream.JSON.readTree(reloaded.body()).path("version").asText())
        .isEqualTo(before);
    assertThat(opus()).isEqualTo(200);
  }
}
