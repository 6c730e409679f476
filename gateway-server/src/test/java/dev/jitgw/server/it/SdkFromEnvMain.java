package dev.jitgw.server.it;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;

/**
 * Run in a child JVM by {@link TokenEndpointTest}: the official SDK configured only through its
 * environment variables ({@code ANTHROPIC_BASE_URL}, {@code ANTHROPIC_IDENTITY_TOKEN_FILE}, {@code
 * ANTHROPIC_FEDERATION_RULE_ID}, {@code ANTHROPIC_ORGANIZATION_ID}), with no code for the gateway.
 */
public final class SdkFromEnvMain {
  private SdkFromEnvMain() {}

  public static void main(String[] args) {
    AnthropicClient client = AnthropicOkHttpClient.builder().fromEnv().maxRetries(0).build();
    try {
      Message message =
          client
              .messages()
              .create(
                  MessageCreateParams.builder()
                      .model("claude-test-1")
                      .maxTokens(32)
                      .addUserMessage("hello through the gateway")
                      .build());
      System.out.println("TEXT=" + message.content().get(0).asText().text());
    } finally {
      client.close();
    }
  }
}
