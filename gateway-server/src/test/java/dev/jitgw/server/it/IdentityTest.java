package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.policy.testing.TestIdentityProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No request reaches the upstream without a verified short-lived identity: each bad credential gets
 * the contract's 401 with its {@code error_code}, {@code WWW-Authenticate} and {@code
 * x-should-retry: false}, and the upstream sees nothing.
 */
class IdentityTest {
  @RegisterExtension static final GatewayHarness harness = new GatewayHarness();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static TestIdentityProvider stranger;

  @BeforeAll
  static void stranger() {
    stranger = new TestIdentityProvider();
  }

  @AfterAll
  static void stopStranger() {
    stranger.close();
  }

  record Row(
      String name, String header, Function<TestIdentityProvider, String> value, String code) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> refused() {
    return Stream.of(
            new Row("no credential", null, p -> null, "missing_credential"),
            new Row(
                "Basic authorization",
                "authorization",
                p -> "Basic dXNlcjpwYXNz",
                "missing_credential"),
            new Row("garbage bearer", "authorization", p -> "Bearer garbage", "malformed_token"),
            new Row(
                "static Anthropic key in x-api-key",
                "x-api-key",
                p -> "sk-ant-api03-0123456789",
                "malformed_token"),
            new Row(
                "expired",
                "authorization",
                p ->
                    "Bearer " + p.token().issuedAt(Instant.now().minus(Duration.ofHours(1))).sign(),
                "token_expired"),
            new Row(
                "not yet valid",
                "x-api-key",
                p -> p.token().notBefore(Instant.now().plus(Duration.ofMinutes(5))).sign(),
                "token_not_yet_valid"),
            new Row(
                "lifetime 24 h",
                "authorization",
                p -> "Bearer " + p.token().lifetime(Duration.ofHours(24)).sign(),
                "token_lifetime_too_long"),
            new Row(
                "wrong audience",
                "authorization",
                p -> "Bearer " + p.token().audience("other").sign(),
                "invalid_token"),
            new Row(
                "untrusted issuer",
                "authorization",
                p -> "Bearer " + stranger.token().sign(),
                "invalid_token"),
            new Row(
                "untrusted key claiming the trusted issuer",
                "authorization",
                p -> "Bearer " + stranger.token().issuer(p.issuer()).sign(),
                "invalid_token"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusedWith401AndNothingForwarded(Row row) throws Exception {
    int before = harness.upstream().requests().size();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-test-1\"}"));
    String value = row.value().apply(harness.identityProvider());
    if (row.header() != null) {
      request.header(row.header(), value);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("www-authenticate"))
        .contains("Bearer error=\"invalid_token\"");
    assertThat(response.headers().firstValue("x-should-retry")).contains("false");
    JsonNode error = FakeClaudeUpstream.JSON.readTree(response.body()).path("error");
    assertThat(error.path("type").asText()).isEqualTo("authentication_error");
    assertThat(error.path("details").path("error_code").asText()).isEqualTo(row.code());
    if (value != null) {
      assertThat(response.body()).doesNotContain(value.replace("Bearer ", ""));
    }
    assertThat(harness.upstream().requests()).hasSize(before);
  }

  @Test
  void sdkWithAnExpiredTokenGetsUnauthorizedWithTheErrorCode() {
    String expired =
        harness
            .identityProvider()
            .token()
            .issuedAt(Instant.now().minus(Duration.ofHours(1)))
            .sign();
    AnthropicClient client =
        AnthropicOkHttpClient.builder()
            .baseUrl(harness.baseUrl())
            .apiKey(expired)
            .maxRetries(2)
            .build();
    try {
      int before = harness.upstream().requests().size();
      assertThatThrownBy(
              () ->
                  client
                      .messages()
                      .create(
                          MessageCreateParams.builder()
                              .model("claude-test-1")
                              .maxTokens(16)
                              .addUserMessage("hi")
                              .build()))
          .isInstanceOfSatisfying(
              UnauthorizedException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(401);
                assertThat(e.errorCode()).contains("token_expired");
              });
      assertThat(harness.upstream().requests()).hasSize(before);
    } finally {
      client.close();
    }
  }

  @Test
  void sdkWithAnAuthTokenSendsBearerAndIsServed() {
    AnthropicClient client =
        AnthropicOkHttpClient.builder()
            .baseUrl(harness.baseUrl())
            .authToken(harness.identityProvider().token().subject("ci-bot").sign())
            .maxRetries(0)
            .build();
    try {
      Message message =
          client
              .messages()
              .create(
                  MessageCreateParams.builder()
                      .model("claude-test-1")
                      .maxTokens(16)
                      .addUserMessage("hi")
                      .build());
      assertThat(message.content()).isNotEmpty();
      assertThat(harness.upstream().lastRequest().headers().contains("authorization")).isFalse();
      assertThat(harness.upstream().lastRequest().headers().get("x-api-key"))
          .isEqualTo(GatewayHarness.UPSTREAM_KEY);
    } finally {
      client.close();
    }
  }
}
