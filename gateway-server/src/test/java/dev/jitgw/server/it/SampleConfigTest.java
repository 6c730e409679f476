package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.ConfigLoader;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.HostPort;
import dev.jitgw.server.GatewayServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped sample config documents the defaults: it must load, and say nothing else. */
class SampleConfigTest {
  private static final Path SAMPLE = Path.of("..", "config", "gateway.yaml");

  @Test
  void sampleConfigLoadsAndStatesTheDefaults() {
    GatewayConfig sample = ConfigLoader.load(Optional.of(SAMPLE), Map.of(), Map.of());
    assertThat(sample).isEqualTo(GatewayConfig.defaults());
  }

  @Test
  void noTrustedIssuerStopsStartUp() {
    GatewayConfig config =
        ConfigLoader.load(
            Optional.empty(),
            Map.of(),
            Map.of("listen", "127.0.0.1:0", "admin_listen", "127.0.0.1:0"));
    assertThatThrownBy(() -> GatewayServer.builder(config).environment(Map.of()).start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("JITGW_OIDC_ISSUER");
  }

  @Test
  void theSamplePolicyStartsTheGateway(@TempDir Path data) {
    GatewayConfig config =
        ConfigLoader.load(
            Optional.empty(),
            Map.of(
                "JITGW_POLICY_FILE",
                "../config/policy.yaml",
                "JITGW_OIDC_ISSUER",
                "https://idp.example/realms/eng"),
            Map.of(
                "listen",
                "127.0.0.1:0",
                "admin_listen",
                "127.0.0.1:0",
                "data_dir",
                data.toString()));
    assertThat(config.listen()).isEqualTo(new HostPort("127.0.0.1", 0));
    try (GatewayServer server = GatewayServer.builder(config).environment(Map.of()).start()) {
      assertThat(server.dataPlaneAddress().getPort()).isPositive();
    }
    assertThat(data.resolve("audit")).isDirectory();
  }
}
