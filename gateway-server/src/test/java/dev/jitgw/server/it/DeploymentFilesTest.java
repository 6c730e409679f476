package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.jitgw.core.config.ConfigLoader;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.HostPort;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.policy.rules.PolicyLoader;
import dev.jitgw.server.GatewayServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker-compose.yml, the Keycloak realm it imports, the gateway settings it mounts, the Prometheus
 * config, the Dockerfile and the Kubernetes manifests agree with each other.
 *
 * <p>The files are read as YAML here, compose's {@code ${VAR:-default}} interpolation is done with
 * the defaults, and mounted paths are mapped back to the repository's files. Compose itself
 * validates the file too, in {@link #composeValidatesTheFile}: Debian's {@code docker-compose}
 * (installed by {@code .ci/run}; it needs no daemon for {@code config}), or the {@code docker
 * compose} plugin where there is one.
 */
class DeploymentFilesTest {
  private static final Path ROOT = Path.of("..");
  private static final ObjectMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final Pattern INTERPOLATION =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?}");
  private static final List<String> REALM_GROUPS = List.of("eng", "security", "jitgw-admins");

  private static JsonNode compose() throws Exception {
    return YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
  }

  private static JsonNode realm() throws Exception {
    return JSON.readTree(ROOT.resolve("config/keycloak/jitgw-realm.json").toFile());
  }

  private static JsonNode service(String name) throws Exception {
    JsonNode service = compose().path("services").path(name);
    assertThat(service.isObject()).as("docker-compose.yml has service %s", name).isTrue();
    return service;
  }

  /**
   * Compose's interpolation with every variable unset: {@code ${X:-d}} gives d, {@code ${X}} "".
   */
  private static String interpolate(String value) {
    Matcher m = INTERPOLATION.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(2) == null ? "" : m.group(2)));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A service's environment as compose would pass it, variables unset; pass-through keys drop. */
  private static Map<String, String> environment(JsonNode service) {
    Map<String, String> environment = new LinkedHashMap<>();
    service
        .path("environment")
        .fields()
        .forEachRemaining(
            e -> {
              if (!e.getValue().isNull()) {
                environment.put(e.getKey(), interpolate(e.getValue().asText()));
              }
            });
    return environment;
  }

  /** The repository file a service mounts at {@code containerPath} (bind mounts only). */
  private static Path mounted(JsonNode service, String containerPath) {
    for (JsonNode volume : service.path("volumes")) {
      String[] parts = volume.asText().split(":");
      if (parts.length >= 2 && parts[1].equals(containerPath) && parts[0].startsWith("./")) {
        return ROOT.resolve(parts[0].substring(2));
      }
    }
    throw new AssertionError("no bind mount at " + containerPath + " in " + service.get("volumes"));
  }

  /** The host port compose publishes for {@code containerPort}, from "[ip:]host:container". */
  private static int publishedPort(JsonNode service, int containerPort) {
    for (JsonNode port : service.path("ports")) {
      String[] parts = port.asText().split(":");
      if (Integer.parseInt(parts[parts.length - 1]) == containerPort) {
        return Integer.parseInt(parts[parts.length - 2]);
      }
    }
    throw new AssertionError("container port " + containerPort + " is not published");
  }

  /** The gateway's config as it runs in compose: the mounted file under the service's variables. */
  private static GatewayConfig composeGatewayConfig() throws Exception {
    JsonNode gateway = service("gateway");
    Map<String, String> environment = environment(gateway);
    Path file = mounted(gateway, environment.get("JITGW_CONFIG"));
    return ConfigLoader.load(Optional.of(file), environment, Map.of());
  }

  private static IssuerConfig composeIssuer() throws Exception {
    List<IssuerConfig> issuers = composeGatewayConfig().identity().issuers();
    assertThat(issuers).hasSize(1);
    return issuers.get(0);
  }

  private static List<JsonNode> mappers(JsonNode client, String type) {
    List<JsonNode> found = new ArrayList<>();
    for (JsonNode mapper : client.path("protocolMappers")) {
      if (mapper.path("protocolMapper").asText().equals(type)) {
        found.add(mapper);
      }
    }
    return found;
  }

  @Test
  void theIssuerIsKeycloaksFixedHostnameAndRealm() throws Exception {
    JsonNode keycloak = service("keycloak");
    String hostname = environment(keycloak).get("KC_HOSTNAME");
    assertThat(hostname).as("KC_HOSTNAME fixes the iss in every token").isNotBlank();
    IssuerConfig issuer = composeIssuer();

    assertThat(issuer.issuer()).isEqualTo(hostname + "/realms/" + realm().path("realm").asText());
    // The issuer URL is the one a host reaches: its port is Keycloak's published port.
    URI issuerUri = URI.create(issuer.issuer());
    assertThat(issuerUri.getHost()).isEqualTo("localhost");
    assertThat(issuerUri.getPort()).isEqualTo(publishedPort(keycloak, 8080));
    // The gateway fetches keys inside the compose network, from the service itself.
    assertThat(issuer.jwksUri())
        .isEqualTo(
            URI.create(
                "http://keycloak:8080/realms/"
                    + realm().path("realm").asText()
                    + "/protocol/openid-connect/certs"));
    assertThat(keycloak.path("command").toString())
        .contains("start-dev")
        .contains("--import-realm");
    assertThat(keycloak.path("image").asText()).startsWith("quay.io/keycloak/keycloak:26.");
  }

  @Test
  void theRealmFileIsWhatKeycloakImports() throws Exception {
    Path importDir = mounted(service("keycloak"), "/opt/keycloak/data/import");
    assertThat(importDir.resolve("jitgw-realm.json")).isRegularFile();
    assertThat(realm().path("enabled").asBoolean()).isTrue();
  }

  @Test
  void everyClientPutsTheConfiguredAudienceAndAFlatGroupsClaimInAccessTokens() throws Exception {
    IssuerConfig issuer = composeIssuer();
    JsonNode clients = realm().path("clients");
    assertThat(clients).hasSizeGreaterThanOrEqualTo(2);
    for (JsonNode client : clients) {
      String id = client.path("clientId").asText();
      List<JsonNode> audience = mappers(client, "oidc-audience-mapper");
      assertThat(audience).as("client %s has an audience mapper", id).hasSize(1);
      assertThat(audience.get(0).path("config").path("included.custom.audience").asText())
          .isEqualTo(issuer.audience());
      assertThat(audience.get(0).path("config").path("access.token.claim").asText())
          .isEqualTo("true");

      List<JsonNode> groups = mappers(client, "oidc-group-membership-mapper");
      assertThat(groups).as("client %s has a group membership mapper", id).hasSize(1);
      JsonNode config = groups.get(0).path("config");
      assertThat(config.path("claim.name").asText()).isEqualTo(issuer.groupsClaim());
      assertThat(config.path("full.path").asText()).isEqualTo("false");
      assertThat(config.path("access.token.claim").asText()).isEqualTo("true");
    }
  }

  @Test
  void theUisSignInClientIsAPublicPkceClientThatRedirectsToThePublishedAdminUi() throws Exception {
    String clientId = composeIssuer().uiClientId();
    assertThat(clientId).as("ui_client_id in config/compose/gateway.yaml").isNotBlank();
    JsonNode client = null;
    for (JsonNode c : realm().path("clients")) {
      if (c.path("clientId").asText().equals(clientId)) {
        client = c;
      }
    }
    assertThat(client).as("client %s in the realm", clientId).isNotNull();
    assertThat(client.path("publicClient").asBoolean()).isTrue();
    assertThat(client.path("standardFlowEnabled").asBoolean()).isTrue();
    assertThat(client.path("implicitFlowEnabled").asBoolean()).isFalse();
    assertThat(client.path("attributes").path("pkce.code.challenge.method").asText())
        .isEqualTo("S256");
    List<String> redirects = new ArrayList<>();
    client.path("redirectUris").forEach(uri -> redirects.add(uri.asText()));
    int adminPort = composeGatewayConfig().adminListen().port();
    assertThat(publishedPort(service("gateway"), adminPort)).isEqualTo(adminPort);
    assertThat(redirects)
        .contains(
            "http://localhost:" + adminPort + "/ui/*", "http://127.0.0.1:" + adminPort + "/ui/*");
    assertThat(client.path("webOrigins").toString()).contains("\"+\"");
  }

  @Test
  void theGroupsExistWithUsersAndServiceClientsAndTheAdminGroupIsJitgwAdminGroups()
      throws Exception {
    JsonNode realm = realm();
    Set<String> groups = new HashSet<>();
    realm.path("groups").forEach(g -> groups.add(g.path("name").asText()));
    assertThat(groups).containsAll(REALM_GROUPS);

    Set<String> serviceClients = new HashSet<>();
    realm
        .path("clients")
        .forEach(
            c -> {
              if (c.path("serviceAccountsEnabled").asBoolean()) {
                serviceClients.add(c.path("clientId").asText());
              }
            });
    for (String group : REALM_GROUPS) {
      boolean person = false;
      boolean service = false;
      for (JsonNode user : realm.path("users")) {
        boolean member = false;
        for (JsonNode path : user.path("groups")) {
          member |= path.asText().equals("/" + group);
        }
        if (member && user.hasNonNull("serviceAccountClientId")) {
          assertThat(serviceClients).contains(user.path("serviceAccountClientId").asText());
          service = true;
        } else if (member) {
          assertThat(user.path("credentials").path(0).path("value").asText()).isNotBlank();
          person = true;
        }
      }
      assertThat(person).as("a user in group %s", group).isTrue();
      assertThat(service).as("a service client in group %s", group).isTrue();
    }

    String adminGroups = environment(service("gateway")).get(ConfigLoader.ADMIN_GROUPS);
    assertThat(adminGroups).isEqualTo("jitgw-admins");
    assertThat(composeGatewayConfig().admin().groups()).containsExactly(adminGroups);
    assertThat(groups).contains(adminGroups);
  }

  @Test
  void tokensLiveShorterThanTheGatewayAccepts() throws Exception {
    long lifespan = realm().path("accessTokenLifespan").asLong();
    assertThat(lifespan).isPositive();
    assertThat(Duration.ofSeconds(lifespan))
        .isLessThanOrEqualTo(composeIssuer().maxTokenLifetime());
  }

  /** The compose command on this machine: the v1 tool or the v2 plugin, or none. */
  private static Optional<List<String>> composeCommand() {
    for (List<String> command :
        List.of(List.of("docker-compose", "version"), List.of("docker", "compose", "version"))) {
      try {
        Process probe = new ProcessBuilder(command).redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        if (probe.waitFor() == 0) {
          return Optional.of(command.subList(0, command.size() - 1));
        }
      } catch (java.io.IOException e) {
        // not installed
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  @Test
  void composeValidatesTheFile() throws Exception {
    Optional<List<String>> compose = composeCommand();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        compose.isPresent(), "neither docker-compose nor the docker compose plugin is installed");
    List<String> command = new ArrayList<>(compose.get());
    command.addAll(List.of("-f", "docker-compose.yml", "config", "-q"));
    Process process =
        new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor()).as("%s said: %s", command, output).isZero();
  }

  @Test
  void prometheusScrapesTheGatewaysAdminListener() throws Exception {
    JsonNode prometheus = service("prometheus");
    Path file = mounted(prometheus, "/etc/prometheus/prometheus.yml");
    assertThat(prometheus.path("command").toString())
        .contains("--config.file=/etc/prometheus/prometheus.yml");
    JsonNode job = YAML.readTree(file.toFile()).path("scrape_configs").path(0);
    assertThat(job.path("metrics_path").asText("/metrics")).isEqualTo("/metrics");
    String target = job.path("static_configs").path(0).path("targets").path(0).asText();

    HostPort admin = composeGatewayConfig().adminListen();
    assertThat(target).isEqualTo("gateway:" + admin.port());
    assertThat(admin.host()).as("reachable from the prometheus container").isEqualTo("0.0.0.0");
  }

  @Test
  void theComposeGatewayStartsWithItsConfigAndPolicy(@TempDir Path data) throws Exception {
    JsonNode gateway = service("gateway");
    GatewayConfig config = composeGatewayConfig();
    assertThat(config.upstream().url()).isEqualTo(URI.create("https://api.anthropic.com"));
    assertThat(config.upstream().apiKey().toString()).contains("ANTHROPIC_API_KEY");
    assertThat(gateway.path("volumes").toString()).contains("gateway-data:" + config.dataDir());
    Path policy = mounted(gateway, config.policyFile().toString());

    // The real start-up path: config records, issuer set-up and the policy's compile checks. Only
    // the listeners (free loopback ports) and the data directory differ from the container.
    try (GatewayServer server =
        GatewayServer.builder(
                config
                    .withListen(new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", 0))
                    .withDataDir(data)
                    .withPolicyFile(policy))
            .environment(Map.of())
            .start()) {
      HttpResponse<String> ready =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:" + server.adminAddress().getPort() + "/readyz"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theDockerfileMatchesTheComposeService() throws Exception {
    String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
    GatewayConfig config = composeGatewayConfig();
    assertThat(dockerfile)
        .contains("JITGW_ADMIN_LISTEN=0.0.0.0:" + config.adminListen().port())
        .contains("JITGW_DATA_DIR=" + config.dataDir())
        .contains("VOLUME [\"" + config.dataDir() + "\"]")
        .contains("EXPOSE " + config.listen().port() + " " + config.adminListen().port())
        .contains("gateway-server/target/jitgw.jar")
        .contains("\"java\", \"-jar\", \"/opt/jitgw/jitgw.jar\", \"serve\"")
        .contains("/readyz")
        .containsPattern("(?m)^USER [1-9]");
    JsonNode gateway = service("gateway");
    assertThat(publishedPort(gateway, config.listen().port())).isEqualTo(config.listen().port());
    assertThat(gateway.path("ports").toString())
        .as("the admin listener is published on the host's loopback only")
        .contains("127.0.0.1:" + config.adminListen().port() + ":" + config.adminListen().port());
  }

  @Test
  void theKubernetesStatefulSetMatchesItsConfigMap(@TempDir Path scratch) throws Exception {
    Map<String, JsonNode> resources = new LinkedHashMap<>();
    try (var files = Files.list(ROOT.resolve("deploy/kubernetes"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (var docs =
            YAML.readerFor(JsonNode.class)
                .readValues(new YAMLFactory().createParser(file.toFile()))) {
          while (docs.hasNext()) {
            JsonNode doc = (JsonNode) docs.next();
            resources.put(
                doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText(), doc);
          }
        }
      }
    }
    JsonNode configMap = resources.get("ConfigMap/jitgw-config");
    JsonNode statefulSet = resources.get("StatefulSet/jitgw");
    assertThat(configMap).isNotNull();
    assertThat(statefulSet).isNotNull();

    Path gatewayYaml = scratch.resolve("gateway.yaml");
    Files.writeString(gatewayYaml, configMap.path("data").path("gateway.yaml").asText());
    GatewayConfig config = ConfigLoader.load(Optional.of(gatewayYaml), Map.of(), Map.of());
    Path policyYaml = scratch.resolve("policy.yaml");
    Files.writeString(policyYaml, configMap.path("data").path("policy.yaml").asText());
    assertThat(PolicyLoader.load(policyYaml).rules()).isNotEmpty();

    JsonNode pod = statefulSet.path("spec").path("template").path("spec");
    JsonNode container = pod.path("containers").path(0);
    Map<String, Integer> ports = new LinkedHashMap<>();
    container
        .path("ports")
        .forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
    assertThat(ports)
        .containsEntry("http", config.listen().port())
        .containsEntry("admin", config.adminListen().port());
    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
        .isEqualTo("/readyz");
    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
        .isEqualTo("/healthz");
    assertThat(container.path("readinessProbe").path("httpGet").path("port").asText())
        .isEqualTo("admin");

    Map<String, String> mounts = new LinkedHashMap<>();
    container
        .path("volumeMounts")
        .forEach(m -> mounts.put(m.path("name").asText(), m.path("mountPath").asText()));
    String claim =
        statefulSet
            .path("spec")
            .path("volumeClaimTemplates")
            .path(0)
            .path("metadata")
            .path("name")
            .asText();
    assertThat(mounts).containsEntry(claim, config.dataDir().toString());
    assertThat(container.path("env").toString()).contains("/etc/jitgw/gateway.yaml");
    assertThat(mounts).containsEntry("config", config.policyFile().getParent().toString());
    String keyFile = config.upstream().apiKey().toString().replaceFirst("^file:", "");
    assertThat(keyFile).startsWith(mounts.get("upstream-key") + "/");
    String secretKey = Path.of(keyFile).getFileName().toString();
    assertThat(secretKey).isEqualTo(ConfigLoader.API_KEY_VARIABLE);

    for (String name : List.of("Service/jitgw", "Service/jitgw-admin")) {
      JsonNode service = resources.get(name);
      assertThat(service).as(name).isNotNull();
      assertThat(ports)
          .containsKey(service.path("spec").path("ports").path(0).path("targetPort").asText());
    }
    assertThat(resources.get("Service/" + statefulSet.path("spec").path("serviceName").asText()))
        .isNotNull();
  }
}
