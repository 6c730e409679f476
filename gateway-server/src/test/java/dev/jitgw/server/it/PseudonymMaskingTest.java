package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.audit.store.RocksAuditLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A {@code replacement: pseudonym} profile end to end: the planted values come back as keyed
 * pseudonyms, the same for the same caller across requests and different for another caller; the
 * gateway secret is a file of the data dir only its owner can read; the audit log counts per
 * detector and never holds the values.
 */
class PseudonymMaskingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PSEUDONYM = Pattern.compile("\\[([a-z_:]+):([0-9a-f]{8})\\]");

  private final Path dataDir = temporaryDirectory();

  @RegisterExtension
  final GatewayHarness harness =
      new GatewayHarness(config -> config.withPolicyFile(policy()).withDataDir(dataDir));

  private final HttpClient http = HttpClient.newHttpClient();

  private static Path temporaryDirectory() {
    try {
      Path dir = Files.createTempDirectory("jitgw-pseudonym-data");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path policy() {
    try {
      Path file = Files.createTempFile("jitgw-pseudonym-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: everyone
              when: "true"
              allow:
                mask: [named]
          masking:
            profiles:
              named:
                detectors: [anthropic_api_key, email]
                fields: [password]
                replacement: pseudonym
          """);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private HttpResponse<byte[]> post(String subject, boolean stream) throws Exception {
    String body =
        "{\"model\":\"claude-test-secrets\",\"max_tokens\":64,\"stream\":"
            + stream
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
            .header(
                "authorization",
                "Bearer " + harness.identityProvider().token().subject(subject).sign())
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** The message's text and the tool input's password, from a JSON response. */
  private static List<String> answer(HttpResponse<byte[]> response) throws IOException {
    assertThat(response.statusCode()).isEqualTo(200);
    String body = new String(response.body(), UTF_8);
    assertNoPlantedValue(body);
    JsonNode message = JSON.readTree(body);
    return List.of(
        message.at("/content/0/text").asText(), message.at("/content/1/input/password").asText());
  }

  /** The same, reassembled from a stream's deltas. */
  private static List<String> streamedAnswer(HttpResponse<byte[]> response) throws IOException {
    assertThat(response.statusCode()).isEqualTo(200);
    String body = new String(response.body(), UTF_8);
    assertNoPlantedValue(body);
    StringBuilder text = new StringBuilder();
    StringBuilder input = new StringBuilder();
    for (String line : body.split("\n")) {
      if (line.startsWith("data:")) {
        JsonNode delta = JSON.readTree(line.substring(5).trim()).path("delta");
        switch (delta.path("type").asText()) {
          case "text_delta" -> text.append(delta.path("text").asText());
          case "input_json_delta" -> input.append(delta.path("partial_json").asText());
          default -> {}
        }
      }
    }
    return List.of(text.toString(), JSON.readTree(input.toString()).path("password").asText());
  }

  private static void assertNoPlantedValue(String received) {
    for (String planted :
        List.of(
            FakeClaudeUpstream.PLANTED_KEY,
            FakeClaudeUpstream.PLANTED_EMAIL,
            FakeClaudeUpstream.PLANTED_PASSWORD)) {
      for (int i = 0; i + 6 <= planted.length(); i++) {
        String fragment = planted.substring(i, i + 6);
        if (!fragment.startsWith("sk-") && !fragment.startsWith("k-ant")) {
          assertThat(received).as("fragment %s", fragment).doesNotContain(fragment);
        }
      }
    }
  }

  private static List<String> pseudonyms(List<String> answer) {
    List<String> found = new ArrayList<>();
    for (String part : answer) {
      Matcher m = PSEUDONYM.matcher(part);
      while (m.find()) {
        found.add(m.group());
      }
    }
    return found;
  }

  @Test
  void theSameCallerGetsTheSamePseudonymsAndAnotherCallerOthers() throws Exception {
    List<String> first = answer(post("alice", false));
    List<String> second = answer(post("alice", false));
    List<String> streamed = streamedAnswer(post("alice", true));
    List<String> bob = answer(post("bob", false));

    assertThat(first.get(0))
        .matches(
            "Use key \\[anthropic_api_key:[0-9a-f]{8}] and mail \\[email:[0-9a-f]{8}] — café ☕"
                + " done\\.");
    assertThat(first.get(1)).matches("\\[field:password:[0-9a-f]{8}]");
    assertThat(second).isEqualTo(first);
    assertThat(streamed).as("streamed alike").isEqualTo(first);
    assertThat(pseudonyms(bob)).hasSize(3).doesNotContainAnyElementsOf(pseudonyms(first));
  }

  @Test
  void theGatewaySecretIsAnOwnerOnlyFileOfTheDataDir() throws Exception {
    Path key = dataDir.resolve("masking-key");
    assertThat(key).exists();
    assertThat(Files.size(key)).isEqualTo(32);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
  }

  @Test
  void theAuditLogCountsPerDetectorAndHoldsNoValue() throws Exception {
    HttpResponse<byte[]> response = post("alice", false);
    answer(response);
    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
    RocksAuditLog log = harness.gateway().auditLog();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                log.exchange(id).stream()
                    .anyMatch(r -> new String(r, UTF_8).contains("\"type\":\"response_end\"")));
    List<JsonNode> records = new ArrayList<>();
    for (byte[] record : log.exchange(id)) {
      records.add(JSON.readTree(record));
    }
    JsonNode masking =
        records.stream().filter(r -> r.path("type").asText().equals("masking")).findFirst().get();
    assertThat(masking.get("counts").get("email").asLong()).isEqualTo(1);
    assertThat(masking.get("counts").get("anthropic_api_key").asLong()).isEqualTo(1);
    assertThat(masking.get("counts").get("field:password").asLong()).isEqualTo(1);
    assertNoPlantedValue(records.toString());
  }
}
