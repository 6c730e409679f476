package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.RateLimitException;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Limits from the policy, through the official SDK: a rate limit answers 429 with retry-after, and
 * a token budget reserves the worst case but settles to the usage the stream reported.
 */
class LimitsTest {
  private static final Path POLICY = policy();

  @RegisterExtension
  final GatewayHarness harness = new GatewayHarness(config -> config.withPolicyFile(POLICY));

  private static Path policy() {
    try {
      Path file = Files.createTempFile("jitgw-limits-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: ci-budget
              when: '"ci" in identity.groups'
              allow:
                limits: {tokens_per_day: 1500}
            - name: everyone
              when: "true"
              allow:
                limits: {requests_per_minute: 2}
          """);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private AnthropicClient client(String... groups) {
    return AnthropicOkHttpClient.builder()
        .baseUrl(harness.baseUrl())
        .apiKey(harness.identityProvider().token().groups(groups).sign())
        .maxRetries(0)
        .build();
  }

  private static MessageCreateParams params(long maxTokens) {
    return MessageCreateParams.builder()
        .model("claude-test-1")
        .maxTokens(maxTokens)
        .addUserMessage("hi")
        .build();
  }

  @Test
  void theThirdRequestInAMinuteIsRateLimitedWithRetryAfterAndNeverForwarded() {
    AnthropicClient client = client("eng");
    client.messages().create(params(16));
    client.messages().create(params(16));
    int forwarded = harness.upstream().requests().size();

    assertThatThrownBy(() -> client.messages().create(params(16)))
        .isInstanceOfSatisfying(
            RateLimitException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(429);
              assertThat(e.getMessage()).contains("rate_limit_error");
              assertThat(e.headers().values("retry-after"))
                  .singleElement()
                  .satisfies(value -> assertThat(Long.parseLong(value)).isBetween(1L, 60L));
            });
    assertThat(harness.upstream().requests()).hasSize(forwarded);
  }

  @Test
  void aTokenBudgetReservesTheWorstCaseAndSettlesToTheStreamedUsage() {
    AnthropicClient client = client("ci");
    // worst case ~1,010 tokens of a 1,500 budget; the stream reports 12 in + 6 out
    for (int i = 0; i < 3; i++) {
      try (StreamResponse<RawMessageStreamEvent> stream =
          client.messages().createStreaming(params(1000))) {
        assertThat(stream.stream().count()).isPositive();
      }
    }
    // had the reservations not settled, the second request would already have been refused;
    // now a request whose worst case alone exceeds what is left is refused as a budget
    assertThatThrownBy(() -> client.messages().create(params(1490)))
        .isInstanceOfSatisfying(
            RateLimitException.class, e -> assertThat(e.getMessage()).contains("budget_exceeded"));
  }
}
