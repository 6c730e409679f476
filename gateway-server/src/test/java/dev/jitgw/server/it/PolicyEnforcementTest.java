package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.PermissionDeniedException;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The policy file decides per identity and request; denials never reach the upstream. */
class PolicyEnforcementTest {
  private static final Path POLICY = writePolicy();

  @RegisterExtension
  static final GatewayHarness harness = new GatewayHarness(config -> config.withPolicyFile(POLICY));

  private static Path writePolicy() {
    try {
      Path file = Files.createTempFile("jitgw-policy", ".yaml");
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: opus-needs-leads
              when: request.model.startsWith("claude-opus") && !("ml-leads" in identity.groups)
              deny: Opus models are limited to ml-leads
            - name: shell-tool-needs-approval
              when: request.tools.exists(t, t.name == "bash")
              approve:
                approvers: [security]
            - name: everyone
              when: "true"
              allow: {}
          """);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void removePolicy() throws IOException {
    Files.deleteIfExists(POLICY);
  }

  private static AnthropicClient client(String... groups) {
    return AnthropicOkHttpClient.builder()
        .baseUrl(harness.baseUrl())
        .apiKey(harness.identityProvider().token().groups(groups).sign())
        .maxRetries(0)
        .build();
  }

  private static MessageCreateParams.Builder params(String model) {
    return MessageCreateParams.builder().model(model).maxTokens(64).addUserMessage("hi");
  }

  @Test
  void aDenyRuleRaisesPermissionDeniedNamingTheRule() {
    AnthropicClient client = client("eng");
    int before = harness.upstream().requests().size();
    try {
      assertThatThrownBy(() -> client.messages().create(params("claude-opus-4-1").build()))
          .isInstanceOfSatisfying(
              PermissionDeniedException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(403);
                assertThat(e.errorCode()).contains("policy_denied");
                assertThat(e.getMessage())
                    .contains("Denied by rule 'opus-needs-leads': Opus models are limited");
              });
      assertThat(harness.upstream().requests()).hasSize(before);
    } finally {
      client.close();
    }
  }

  @Test
  void theSameRequestFromAnAllowedGroupGoesThrough() {
    AnthropicClient client = client("ml-leads");
    try {
      assertThat(client.messages().create(params("claude-opus-4-1").build()).content())
          .isNotEmpty();
      assertThat(harness.upstream().lastRequest().body()).contains("claude-opus-4-1");
    } finally {
      client.close();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"model\": \"claude-sonnet-4-5\"",
        "not json at all",
        "{\"model\":\"a\",\"model\":\"claude-sonnet-4-5\"}",
        "[1,2,3]"
      })
  void aBodyThatIsNotJsonIs400AndNotForwarded(String body) throws Exception {
    int before = harness.upstream().requests().size();
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                    .header("authorization", "Bearer " + harness.token())
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode error = FakeClaudeUpstream.JSON.readTree(response.body()).path("error");
    assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.path("details").path("error_code").asText()).isEqualTo("invalid_json");
    assertThat(harness.upstream().requests()).hasSize(before);
  }
}
