package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.UpstreamFederationConfig;
import dev.jitgw.policy.testing.TestIdentityProvider;
import dev.jitgw.server.GatewayServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No static key anywhere: the gateway exchanges its own identity token for short-lived upstream
 * access tokens, sends them as bearer tokens with the OAuth beta flag, and refreshes them.
 */
class KeylessUpstreamTest {
  @TempDir Path dir;
  private TestIdentityProvider identityProvider;
  private FakeClaudeUpstream upstream;

  @BeforeEach
  void start() {
    identityProvider = new TestIdentityProvider();
    upstream = new FakeClaudeUpstream();
  }

  @AfterEach
  void stop() {
    upstream.close();
    identityProvider.close();
  }

  private GatewayServer gateway(Path identityToken) {
    GatewayConfig config = GatewayHarness.baseConfig(identityProvider, upstream.url());
    config =
        config.withUpstream(
            config
                .upstream()
                .withFederation(
                    new UpstreamFederationConfig(
                        identityToken, "fdrl_gateway", "org_test", null, null, null)));
    // No ANTHROPIC_API_KEY in the environment at all.
    return GatewayServer.builder(config).environment(Map.of()).start();
  }

  private int call(GatewayServer gateway) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + gateway.dataPlaneAddress().getPort() + "/v1/models"))
                .header("authorization", "Bearer " + identityProvider.token().sign())
                .header("anthropic-beta", "oauth-2025-04-20, files-api-2025-04-14")
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  @Test
  void exchangesTheGatewaysIdentityForABearerTokenAndRefreshesIt() throws Exception {
    Path identityToken = Files.writeString(dir.resolve("identity-token"), "gateway-identity-1\n");
    upstream.acceptFederation("gateway-identity-1", 2);
    try (GatewayServer gateway = gateway(identityToken)) {
      assertThat(call(gateway)).isEqualTo(200);
      FakeClaudeUpstream.Recorded seen = upstream.lastRequest();
      assertThat(seen.uri()).isEqualTo("/v1/models");
      assertThat(seen.headers().get("authorization")).startsWith("Bearer sk-ant-oat-test-");
      assertThat(seen.headers().contains("x-api-key")).isFalse();
      assertThat(seen.headers().get("anthropic-beta"))
          .isEqualTo("files-api-2025-04-14,oauth-2025-04-20");

      // Tokens of 2 s are refreshed ahead of expiry, with the identity token as it is now.
      Files.writeString(identityToken, "gateway-identity-2\n");
      upstream.acceptFederation("gateway-identity-2", 2);
      int before = upstream.tokenExchanges();
      await().atMost(Duration.ofSeconds(20)).until(() -> upstream.tokenExchanges() > before);
      assertThat(call(gateway)).isEqualTo(200);
      assertThat(upstream.lastRequest().headers().get("authorization"))
          .isNotEqualTo(seen.headers().get("authorization"));
    }
  }

  @Test
  void aRefusedExchangeIsA502AndNothingGoesUpstream() throws Exception {
    Path identityToken = Files.writeString(dir.resolve("identity-token"), "not-accepted");
    try (GatewayServer gateway = gateway(identityToken)) {
      assertThat(call(gateway)).isEqualTo(502);
      assertThat(upstream.requests())
          .allSatisfy(request -> assertThat(request.uri()).isEqualTo("/v1/oauth/token"));
    }
  }
}
