package dev.jitgw.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {

  @TempDir Path dir;

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("jitgw.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static GatewayConfig load(Path file) {
    return ConfigLoader.load(Optional.of(file), Map.of(), Map.of());
  }

  // --- defaults and binding ---------------------------------------------------------------

  @Test
  void noFileNoEnvironmentNoFlagsGivesTheDefaults() {
    GatewayConfig config = ConfigLoader.load(Optional.empty(), Map.of(), Map.of());

    assertThat(config).isEqualTo(GatewayConfig.defaults());
    assertThat(config.listen()).isEqualTo(new HostPort("0.0.0.0", 8080));
    assertThat(config.adminListen()).isEqualTo(new HostPort("127.0.0.1", 9090));
    assertThat(config.dataDir()).isEqualTo(Path.of("data"));
    assertThat(config.policyFileIfSet()).isEmpty();
    UpstreamConfig upstream = config.upstream();
    assertThat(upstream.url()).isEqualTo(URI.create("https://api.anthropic.com"));
    assertThat(upstream.apiKey()).isEqualTo("env:ANTHROPIC_API_KEY");
    assertThat(upstream.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(upstream.responseTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(upstream.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(upstream.poolIdleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(upstream.caFile()).isNull();
    HttpConfig http = config.http();
    assertThat(http.maxBodySize()).isEqualTo(DataSize.ofMebibytes(32));
    assertThat(http.maxHeaderSize()).isEqualTo(DataSize.ofKibibytes(32));
    assertThat(http.maxUriLength()).isEqualTo(DataSize.ofKibibytes(8));
    assertThat(http.requestReadTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(http.workerThreads()).isZero();
    assertThat(config.shutdown().drainTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void everyFileValueIsBound() throws IOException {
    Path file =
        write(
            """
            listen: "[::1]:8080"
            admin_listen: 127.0.0.1:9999
            data_dir: /var/lib/jitgw
            policy_file: /etc/jitgw/policy.yaml
            upstream:
              url: http://localhost:8081/anthropic
              api_key: file:/run/secrets/anthropic
              connect_timeout: 5s
              response_timeout: 10m
              idle_timeout: 500ms
              pool_idle_timeout: PT2M
              ca_file: /etc/jitgw/ca.pem
            http:
              max_body_size: 32MiB
              max_header_size: 16KiB
              max_uri_length: 4096
              request_read_timeout: 1h
              worker_threads: 4
            shutdown:
              drain_timeout: 45s
            """);

    GatewayConfig config = load(file);

    assertThat(config.listen()).isEqualTo(new HostPort("::1", 8080));
    assertThat(config.adminListen()).isEqualTo(new HostPort("127.0.0.1", 9999));
    assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/jitgw"));
    assertThat(config.policyFileIfSet()).contains(Path.of("/etc/jitgw/policy.yaml"));
    UpstreamConfig upstream = config.upstream();
    assertThat(upstream.url()).isEqualTo(URI.create("http://localhost:8081/anthropic"));
    assertThat(upstream.apiKey()).isEqualTo("file:/run/secrets/anthropic");
    assertThat(upstream.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(upstream.responseTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(upstream.idleTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(upstream.poolIdleTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(upstream.caFile()).isEqualTo(Path.of("/etc/jitgw/ca.pem"));
    HttpConfig http = config.http();
    assertThat(http.maxBodySize().bytes()).isEqualTo(32L * 1024 * 1024);
    assertThat(http.maxHeaderSize().bytes()).isEqualTo(16L * 1024);
    assertThat(http.maxUriLength().bytes()).isEqualTo(4096);
    assertThat(http.requestReadTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(http.workerThreads()).isEqualTo(4);
    assertThat(config.shutdown().drainTimeout()).isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void settingsMissingFromTheFileKeepTheirDefaults() throws IOException {
    Path file =
        write(
            """
            upstream:
              connect_timeout: 2s
            """);

    GatewayConfig config = load(file);

    assertThat(config.upstream().connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.upstream().url()).isEqualTo(UpstreamConfig.DEFAULT_URL);
    assertThat(config.upstream().responseTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(config.listen()).isEqualTo(GatewayConfig.DEFAULT_LISTEN);
    assertThat(config.http()).isEqualTo(HttpConfig.defaults());
  }

  @Test
  void anEmptyFileIsTheDefaults() throws IOException {
    assertThat(load(write(""))).isEqualTo(GatewayConfig.defaults());
  }

  @Test
  void aFileWithOnlyCommentsIsTheDefaults() throws IOException {
    assertThat(load(write("# nothing configured yet\n\n"))).isEqualTo(GatewayConfig.defaults());
  }

  // --- precedence -------------------------------------------------------------------------

  /**
   * One row per combination of layers for three settings (top-level host:port, nested URL, path);
   * {@code -} means the layer does not set the key.
   */
  @ParameterizedTest(name = "{0}: file={2} env={3} flag={4} -> {5}")
  @CsvSource(
      nullValues = "-",
      textBlock =
          """
          listen,       JITGW_LISTEN,       -,                  -,                 -,                  0.0.0.0:8080
          listen,       JITGW_LISTEN,       10.0.0.1:1001,      -,                 -,                  10.0.0.1:1001
          listen,       JITGW_LISTEN,       10.0.0.1:1001,      10.0.0.2:1002,     -,                  10.0.0.2:1002
          listen,       JITGW_LISTEN,       -,                  10.0.0.2:1002,     -,                  10.0.0.2:1002
          listen,       JITGW_LISTEN,       10.0.0.1:1001,      10.0.0.2:1002,     10.0.0.3:1003,      10.0.0.3:1003
          listen,       JITGW_LISTEN,       10.0.0.1:1001,      -,                 10.0.0.3:1003,      10.0.0.3:1003
          upstream.url, JITGW_UPSTREAM_URL, -,                  -,                 -,                  https://api.anthropic.com
          upstream.url, JITGW_UPSTREAM_URL, https://file.test,  -,                 -,                  https://file.test
          upstream.url, JITGW_UPSTREAM_URL, https://file.test,  https://env.test,  -,                  https://env.test
          upstream.url, JITGW_UPSTREAM_URL, https://file.test,  https://env.test,  https://flag.test,  https://flag.test
          upstream.url, JITGW_UPSTREAM_URL, -,                  -,                 https://flag.test,  https://flag.test
          data_dir,     JITGW_DATA_DIR,     -,                  -,                 -,                  data
          data_dir,     JITGW_DATA_DIR,     /from/file,         -,                 -,                  /from/file
          data_dir,     JITGW_DATA_DIR,     /from/file,         /from/env,         -,                  /from/env
          data_dir,     JITGW_DATA_DIR,     /from/file,         /from/env,         /from/flag,         /from/flag
          """)
  void flagBeatsEnvironmentBeatsFileBeatsDefault(
      String key,
      String variable,
      String fileValue,
      String envValue,
      String flagValue,
      String expected)
      throws IOException {
    Path file = write(fileValue == null ? "" : yamlFor(key, fileValue));
    Map<String, String> env = new HashMap<>();
    if (envValue != null) {
      env.put(variable, envValue);
    }
    Map<String, String> flags = new HashMap<>();
    if (flagValue != null) {
      flags.put(key, flagValue);
    }

    GatewayConfig config = ConfigLoader.load(Optional.of(file), env, flags);

    assertThat(valueOf(config, key)).isEqualTo(expected);
  }

  private static String yamlFor(String key, String value) {
    int dot = key.indexOf('.');
    if (dot < 0) {
      return key + ": " + value + "\n";
    }
    return key.substring(0, dot) + ":\n  " + key.substring(dot + 1) + ": " + value + "\n";
  }

  private static String valueOf(GatewayConfig config, String key) {
    return switch (key) {
      case "listen" -> config.listen().toString();
      case "upstream.url" -> config.upstream().url().toString();
      case "data_dir" -> config.dataDir().toString();
      default -> throw new IllegalArgumentException(key);
    };
  }

  @Test
  void layersAreMergedKeyByKey() throws IOException {
    Path file =
        write(
            """
            listen: 10.0.0.1:1001
            data_dir: /from/file
            upstream:
              url: https://file.test
              connect_timeout: 3s
            """);

    GatewayConfig config =
        ConfigLoader.load(
            Optional.of(file),
            Map.of("JITGW_UPSTREAM_URL", "https://env.test"),
            Map.of("listen", "10.0.0.3:1003"));

    assertThat(config.listen()).isEqualTo(new HostPort("10.0.0.3", 1003));
    assertThat(config.upstream().url()).isEqualTo(URI.create("https://env.test"));
    // The environment replaced only upstream.url, not the rest of the file's upstream mapping.
    assertThat(config.upstream().connectTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.dataDir()).isEqualTo(Path.of("/from/file"));
    assertThat(config.adminListen()).isEqualTo(GatewayConfig.DEFAULT_ADMIN_LISTEN);
  }

  @Test
  void blankEnvironmentVariablesAreIgnored() throws IOException {
    Path file = write("listen: 10.0.0.1:1001\n");

    GatewayConfig config =
        ConfigLoader.load(
            Optional.of(file), Map.of("JITGW_LISTEN", "  ", "ANTHROPIC_API_KEY", ""), Map.of());

    assertThat(config.listen()).isEqualTo(new HostPort("10.0.0.1", 1001));
    assertThat(config.upstream().apiKey()).isEqualTo(UpstreamConfig.DEFAULT_API_KEY);
  }

  @Test
  void nullFlagsAreIgnored() throws IOException {
    Path file = write("listen: 10.0.0.1:1001\n");
    Map<String, String> flags = new HashMap<>();
    flags.put("listen", null);

    GatewayConfig config = ConfigLoader.load(Optional.of(file), Map.of(), flags);

    assertThat(config.listen()).isEqualTo(new HostPort("10.0.0.1", 1001));
  }

  @Test
  void anthropicApiKeyVariablePointsTheReferenceAtItself() throws IOException {
    Path file =
        write(
            """
            upstream:
              api_key: file:/run/secrets/anthropic
            """);

    GatewayConfig config =
        ConfigLoader.load(
            Optional.of(file), Map.of("ANTHROPIC_API_KEY", "sk-ant-test-0123456789"), Map.of());

    assertThat(config.upstream().apiKey()).isEqualTo("env:ANTHROPIC_API_KEY");
    assertThat(config.toString()).doesNotContain("sk-ant-test-0123456789");
  }

  @Test
  void withoutTheApiKeyVariableTheFileReferenceStays() throws IOException {
    Path file =
        write(
            """
            upstream:
              api_key: file:/run/secrets/anthropic
            """);

    assertThat(load(file).upstream().apiKey()).isEqualTo("file:/run/secrets/anthropic");
  }

  @Test
  void aFlagBeatsTheApiKeyVariable() {
    GatewayConfig config =
        ConfigLoader.load(
            Optional.empty(),
            Map.of("ANTHROPIC_API_KEY", "sk-ant-test"),
            Map.of("upstream.api_key", "file:/run/secrets/flag"));

    assertThat(config.upstream().apiKey()).isEqualTo("file:/run/secrets/flag");
  }

  @Test
  void unrelatedEnvironmentVariablesAreIgnored() {
    GatewayConfig config =
        ConfigLoader.load(
            Optional.empty(), Map.of("JITGW_BOGUS", "x", "PATH", "/usr/bin"), Map.of());

    assertThat(config).isEqualTo(GatewayConfig.defaults());
  }

  // --- errors in the file -----------------------------------------------------------------

  static Stream<Arguments> unknownKeys() {
    return Stream.of(
        Arguments.of(
            "top level, after a comment and a blank line",
            """
            # jitgw
            listen: 0.0.0.0:8080

            lisen: 127.0.0.1:1
            """,
            4,
            "lisen",
            "lisen"),
        Arguments.of(
            "first key of the file",
            """
            admin_lisen: 127.0.0.1:1
            listen: 0.0.0.0:8080
            """,
            1,
            "admin_lisen",
            "admin_lisen"),
        Arguments.of(
            "last key of a nested mapping at the end of the file",
            """
            listen: 0.0.0.0:8080
            upstream:
              url: https://api.anthropic.com
              tiemout: 5s
            """,
            4,
            "upstream.tiemout",
            "tiemout"),
        Arguments.of(
            "nested, followed by more settings",
            """
            http:
              worker_threads: 2
              max_body: 1MiB
              max_header_size: 16KiB
            shutdown:
              drain_timeout: 5s
            """,
            3,
            "http.max_body",
            "max_body"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unknownKeys")
  void anUnknownKeyNamesTheFileItsLineAndTheKey(
      String description, String yaml, int line, String path, String key) throws IOException {
    Path file = write(yaml);

    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config file " + file)
        .hasMessageContaining(", line " + line + ",")
        .hasMessageContaining("(" + path + ")")
        .hasMessageContaining("unknown key '" + key + "'")
        .hasMessageContaining("expected one of:");
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of(
            """
            upstream:
              url: https://api.anthropic.com
              connect_timeout: soon
            """,
            3,
            "upstream.connect_timeout",
            "'soon' is not a duration"),
        Arguments.of(
            """
            data_dir: /var/lib/jitgw
            listen: nonsense
            """,
            2,
            "listen",
            "'nonsense' is not host:port"),
        Arguments.of(
            """
            listen: 0.0.0.0:8080
            http:
              max_body_size: lots
            """,
            3,
            "http.max_body_size",
            "'lots' is not a size"),
        Arguments.of(
            """
            shutdown:
              drain_timeout: 1 fortnight
            """,
            2,
            "shutdown.drain_timeout",
            "'1 fortnight' is not a duration"));
  }

  @ParameterizedTest(name = "{2}")
  @MethodSource("badValues")
  void aBadValueNamesTheFileItsLineAndTheProblem(String yaml, int line, String path, String problem)
      throws IOException {
    Path file = write(yaml);

    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config file " + file)
        .hasMessageContaining(", line " + line + ",")
        .hasMessageContaining("(" + path + ")")
        .hasMessageContaining(problem);
  }

  @Test
  void aNonHttpUpstreamUrlNamesTheFileALineAndTheUrl() throws IOException {
    Path file =
        write(
            """
            listen: 0.0.0.0:8080
            upstream:
              url: ftp://x
            """);

    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config file " + file)
        .hasMessageContaining(", line ")
        .hasMessageContaining("(upstream.url): 'ftp://x'")
        .hasMessageContaining("http:// or https://");
  }

  @Test
  void aNonHttpUpstreamUrlIsReportedOnTheUrlLine() throws IOException {
    Path file =
        write(
            """
            listen: 0.0.0.0:8080
            upstream:
              url: ftp://x
            """);

    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(", line 3,");
  }

  @Test
  void aDuplicateKeyIsRefusedWithItsLine() throws IOException {
    Path file =
        write(
            """
            listen: 0.0.0.0:8080
            listen: 0.0.0.0:8081
            """);

    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config file " + file)
        .hasMessageContaining(", line 2,")
        .hasMessageContaining("listen");
  }

  @Test
  void aMissingFileIsReportedAsNotFound() {
    Path missing = dir.resolve("nope.yaml");

    assertThatThrownBy(() -> load(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config file " + missing + ": not found");
  }

  @Test
  void aListAtTopLevelIsRefused() throws IOException {
    Path file =
        write(
            """
            - listen: 0.0.0.0:8080
            - data_dir: /x
            """);

    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config file " + file)
        .hasMessageContaining("line 1")
        .hasMessageContaining("expected a mapping of settings, found a list");
  }

  @Test
  void aSingleValueAtTopLevelIsRefused() throws IOException {
    Path file = write("just-a-string\n");

    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("expected a mapping of settings, found a single value");
  }

  @Test
  void aWrongShapeForANestedSectionIsRefused() throws IOException {
    Path file = write("upstream: https://api.anthropic.com\n");

    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config file " + file)
        .hasMessageContaining(", line 1,")
        .hasMessageContaining("(upstream)");
  }

  // --- errors in the environment and flags ------------------------------------------------

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      quoteCharacter = '"',
      textBlock =
          """
          JITGW_LISTEN,       nonsense,    'nonsense' is not host:port
          JITGW_ADMIN_LISTEN, 127.0.0.1:99999, port: 99999 (expected: 0-65535)
          JITGW_UPSTREAM_URL, http://a b,  http://a b
          """)
  void aBadEnvironmentVariableIsNamed(String variable, String value, String problem)
      throws IOException {
    Path file = write("data_dir: /var/lib/jitgw\n");

    assertThatThrownBy(
            () -> ConfigLoader.load(Optional.of(file), Map.of(variable, value), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("environment variable " + variable)
        .hasMessageContaining(problem)
        // The file is fine: it must not be blamed.
        .hasMessageNotContaining(file.toString());
  }

  @Test
  void aNonHttpUpstreamUrlVariableIsNamed() throws IOException {
    Path file = write("data_dir: /var/lib/jitgw\n");

    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    Optional.of(file), Map.of("JITGW_UPSTREAM_URL", "ftp://x"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("environment variable JITGW_UPSTREAM_URL")
        .hasMessageNotContaining(file.toString());
  }

  @Test
  void aNonNumericPortKeepsItsExplanation() throws IOException {
    Path file = write("listen: 127.0.0.1:x\n");

    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'127.0.0.1:x' has no numeric port");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    Optional.empty(), Map.of("JITGW_LISTEN", "127.0.0.1:x"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'127.0.0.1:x' has no numeric port");
  }

  @Test
  void aBadListenFlagIsNamed() {
    assertThatThrownBy(
            () -> ConfigLoader.load(Optional.empty(), Map.of(), Map.of("listen", "nonsense")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("flag --listen")
        .hasMessageContaining("'nonsense' is not host:port");
  }

  @Test
  void aBadFlagWinsOverAGoodVariableAndIsTheOneNamed() {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    Optional.empty(),
                    Map.of("JITGW_ADMIN_LISTEN", "127.0.0.1:9091"),
                    Map.of("admin_listen", "bad")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("flag --admin-listen")
        .hasMessageNotContaining("JITGW_ADMIN_LISTEN");
  }

  @Test
  void aMalformedUpstreamUrlFlagIsNamed() {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(Optional.empty(), Map.of(), Map.of("upstream.url", "http://a b")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("flag --upstream-url");
  }

  @Test
  void aNonHttpUpstreamUrlFlagIsNamed() {
    assertThatThrownBy(
            () -> ConfigLoader.load(Optional.empty(), Map.of(), Map.of("upstream.url", "ftp://x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("flag --upstream-url");
  }

  @Test
  void aPriceTableFromTheFileReplacesTheBuiltInOneAndUnknownModelsPayTheMost() throws IOException {
    GatewayConfig config =
        load(
            write(
                """
                pricing:
                  models:
                    - {prefix: claude-sonnet, input_per_million: 2.0, output_per_million: 10.0}
                    - {prefix: in-house, input_per_million: 0.5, output_per_million: 40.0}
                """));

    var prices = config.pricing().priceTable();
    assertThat(prices.priceOf("claude-sonnet-4-5").outputPerMillion()).isEqualTo(10.0);
    assertThat(prices.priceOf("claude-opus-4-1").outputPerMillion())
        .as("not listed: priced as the most expensive entry")
        .isEqualTo(40.0);
    assertThat(prices.worstCaseUsd("claude-sonnet-4-5", 1_000_000, 0)).isEqualTo(2.0);
  }

  @Test
  void aNegativePriceIsRefusedNamingTheEntry() throws IOException {
    Path file =
        write(
            """
            pricing:
              models:
                - {prefix: claude-sonnet, input_per_million: -1, output_per_million: 10.0}
            """);
    assertThatThrownBy(() -> load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config file " + file)
        .hasMessageContaining("'claude-sonnet': input_per_million must be a number >= 0");
  }
}
