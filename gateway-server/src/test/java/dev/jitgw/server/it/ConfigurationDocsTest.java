package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.core.config.ConfigLoader;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.IssuerConfig;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/configuration.md names every key of the config records and every variable. */
class ConfigurationDocsTest {
  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  @Test
  void everyConfigKeyIsDocumented() throws Exception {
    String doc = Files.readString(DOC);
    List<String> keys = new ArrayList<>();
    collect(GatewayConfig.class, "", keys);
    assertThat(keys).hasSizeGreaterThan(10);
    for (String key : keys) {
      assertThat(doc).as("docs/configuration.md documents `%s`", key).contains("`" + key + "`");
    }
  }

  @Test
  void everyEnvironmentVariableIsDocumented() throws Exception {
    String doc = Files.readString(DOC);
    for (String variable : ConfigLoader.ENVIRONMENT.keySet()) {
      assertThat(doc).contains("`" + variable + "`");
    }
    assertThat(doc).contains("`" + ConfigLoader.API_KEY_VARIABLE + "`");
    assertThat(doc)
        .contains("`" + ConfigLoader.OIDC_ISSUER + "`")
        .contains("`" + ConfigLoader.OIDC_AUDIENCE + "`")
        .contains("`" + ConfigLoader.OIDC_JWKS_URI + "`")
        .contains("`" + ConfigLoader.ADMIN_GROUPS + "`");
  }

  @Test
  void everyIssuerKeyIsDocumented() throws Exception {
    String doc = Files.readString(DOC);
    for (RecordComponent component : IssuerConfig.class.getRecordComponents()) {
      assertThat(doc).contains("| `" + snake(component.getName()) + "` |");
    }
  }

  private static void collect(Class<?> type, String prefix, List<String> keys) {
    for (RecordComponent component : type.getRecordComponents()) {
      String key = prefix + snake(component.getName());
      if (component.getType().isRecord()
          && component.getType().getSimpleName().endsWith("Config")) {
        collect(component.getType(), key + ".", keys);
      } else {
        keys.add(key);
      }
    }
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }
}
