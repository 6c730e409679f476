package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.UpstreamRoute;
import dev.jitgw.policy.testing.TestIdentityProvider;
import dev.jitgw.server.GatewayServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Different identities, chosen by policy, reach the upstream with different credentials. */
class UpstreamRoutesTest {
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

  private GatewayConfig config(String policy) throws Exception {
    Path file = Files.writeString(dir.resolve("policy.yaml"), policy);
    GatewayConfig config =
        GatewayHarness.baseConfig(identityProvider, upstream.url())
            .withDataDir(dir.resolve("data"))
            .withPolicyFile(file);
    return config.withUpstream(
        config
            .upstream()
            .withRoutes(
                List.of(
                    new UpstreamRoute("team-a", "env:TEAM_A_KEY", null),
                    new UpstreamRoute("team-b", "env:TEAM_B_KEY", null))));
  }

  private String keySeenFor(GatewayServer gateway, String group) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + gateway.dataPlaneAddress().getPort()
                                + "/v1/models"))
                    .header(
                        "authorization", "Bearer " + identityProvider.token().groups(group).sign())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return upstream.lastRequest().headers().get("x-api-key");
  }

  @Test
  void eachTeamIsBilledToItsOwnKey() throws Exception {
    GatewayConfig config =
        config(
            """
            version: 1
            rules:
              - name: team-a
                when: '"a" in identity.groups'
                allow: {route: team-a}
              - name: team-b
                when: '"b" in identity.groups'
                allow: {route: team-b}
              - name: others
                when: "true"
                allow: {}
            """);
    try (GatewayServer gateway =
        GatewayServer.builder(config)
            .environment(
                Map.of(
                    "ANTHROPIC_API_KEY", "sk-default",
                    "TEAM_A_KEY", "sk-team-a",
                    "TEAM_B_KEY", "sk-team-b"))
            .start()) {
      assertThat(keySeenFor(gateway, "a")).isEqualTo("sk-team-a");
      assertThat(keySeenFor(gateway, "b")).isEqualTo("sk-team-b");
      assertThat(keySeenFor(gateway, "c")).isEqualTo("sk-default");
    }
  }

  @Test
  void aRuleNamingAnUnknownRouteStopsStartUp() throws Exception {
    GatewayConfig config =
        config(
            """
            version: 1
            rules:
              - name: typo
                when: "true"
                allow: {route: team-z}
            """);
    Assertions.assertThatThrownBy(() -> GatewayServer.builder(config).environment(Map.of()).start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("route 'team-z' is not defined under upstream.routes");
  }
}
