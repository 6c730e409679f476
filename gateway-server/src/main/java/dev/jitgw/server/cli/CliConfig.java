package dev.jitgw.server.cli;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.ConfigLoader;
import dev.jitgw.core.config.GatewayConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration the offline commands ({@code keys}, {@code audit}, {@code replay}) act on: the
 * file named by {@code $JITGW_CONFIG} and the environment, as {@code serve} would read them, with
 * {@code --data-dir} taking precedence.
 */
final class CliConfig {
  private CliConfig() {}

  static GatewayConfig load(Path dataDirOverride) {
    Map<String, String> environment = System.getenv();
    String file = environment.get("JITGW_CONFIG");
    GatewayConfig config;
    try {
      config =
          ConfigLoader.load(
              file == null || file.isBlank() ? Optional.empty() : Optional.of(Path.of(file.trim())),
              environment,
              Map.of());
    } catch (ConfigException e) {
      // A config that serve would refuse (no issuer, say) still names the data directory; say
      // that the rest of it was not read.
      System.err.println(
          "jitgw: the configuration could not be read ("
              + e.getMessage()
              + "); using the defaults and JITGW_DATA_DIR");
      config = GatewayConfig.defaults();
      String dataDir = environment.get("JITGW_DATA_DIR");
      if (dataDir != null && !dataDir.isBlank()) {
        config = config.withDataDir(Path.of(dataDir.trim()));
      }
    }
    return dataDirOverride == null ? config : config.withDataDir(dataDirOverride);
  }
}
