package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Keycloak ({@code kc.sh start-dev --import-realm}, the distribution the build unpacks into
 * {@code target/keycloak}) on a free loopback port, importing a realm file, for the test class. Its
 * hostname is fixed to {@code http://localhost:PORT} as docker-compose.yml fixes it, so {@link
 * #issuer()} is the {@code iss} of every token whichever address asked for it.
 *
 * <p>Keycloak 26 needs Java 21 or later; the tests look for the Temurin 25 JDK and are skipped
 * (only) when it is absent. The process and its children are stopped after the class, and by a
 * shutdown hook if the test JVM exits first.
 */
public final class KeycloakProcess implements BeforeAllCallback, AfterAllCallback {
  /** The JDK Keycloak runs on; override with {@code -Djitgw.keycloak.java.home}. */
  public static final Path JAVA_HOME =
      Path.of(System.getProperty("jitgw.keycloak.java.home", "/usr/lib/jvm/temurin-25-jdk-amd64"));

  private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Path realmFile;
  private final UnaryOperator<String> realmEdit;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Process process;
  private Thread shutdownHook;
  private int port;
  private String realm;
  private Path log;

  public KeycloakProcess(Path realmFile) {
    this(realmFile, UnaryOperator.identity());
  }

  /**
   * @param realmEdit applied to the realm file's text before Keycloak imports it (a test's own
   *     redirect URIs, say); the file itself is left as it is
   */
  public KeycloakProcess(Path realmFile, UnaryOperator<String> realmEdit) {
    this.realmFile = realmFile;
    this.realmEdit = realmEdit;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Assumptions.assumeFalse(
        Boolean.getBoolean("jitgw.keycloak.skip"),
        "-Djitgw.keycloak.skip=true: the Keycloak distribution was not unpacked");
    Assumptions.assumeTrue(
        Files.isExecutable(JAVA_HOME.resolve("bin/java")),
        "Keycloak needs Java 21+: no JDK at " + JAVA_HOME);
    Path home = Path.of(System.getProperty("jitgw.keycloak.home", "target/keycloak/none"));
    assertThat(home.resolve("bin/kc.sh"))
        .as("the Keycloak distribution (maven-dependency-plugin unpacks it before the tests)")
        .isRegularFile();
    realm = JsonMapper.builder().build().readTree(realmFile.toFile()).path("realm").asText();

    // Only this realm file is imported; the in-memory database starts empty every run.
    Path importDir = home.resolve("data/import");
    Files.createDirectories(importDir);
    try (Stream<Path> old = Files.list(importDir)) {
      for (Path file : old.toList()) {
        Files.delete(file);
      }
    }
    Files.writeString(
        importDir.resolve(realmFile.getFileName()), realmEdit.apply(Files.readString(realmFile)));

    port = ChildProcess.freePort();
    log = Path.of("target", "keycloak-" + port + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(
                "bash", home.resolve("bin/kc.sh").toString(), "start-dev", "--import-realm")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("JAVA_HOME", JAVA_HOME.toString());
    env.put("KC_DB", "dev-mem");
    env.put("KC_HTTP_HOST", "127.0.0.1");
    env.put("KC_HTTP_PORT", Integer.toString(port));
    env.put("KC_HTTP_MANAGEMENT_PORT", Integer.toString(ChildProcess.freePort()));
    env.put("KC_HOSTNAME", "http://localhost:" + port);
    env.put("KC_HOSTNAME_BACKCHANNEL_DYNAMIC", "true");
    // A short-lived server: the C1 compiler alone starts it sooner on a small machine.
    env.put("JAVA_OPTS_APPEND", "-XX:TieredStopAtLevel=1");
    process = builder.start();
    shutdownHook = new Thread(this::stop, "keycloak-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    awaitRealm();
  }

  private void awaitRealm() throws Exception {
    URI discovery =
        URI.create(baseUrl() + "/realms/" + realm + "/.well-known/openid-configuration");
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Keycloak exited with " + process.exitValue() + ":\n" + logTail());
      }
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(discovery).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException(
        "Keycloak did not serve realm " + realm + " within " + START_TIMEOUT + ":\n" + logTail());
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run
      }
    }
  }

  /** SIGTERM to kc.sh's java children and kc.sh, then SIGKILL to whatever is left. */
  private synchronized void stop() {
    if (process == null) {
      return;
    }
    List<ProcessHandle> all =
        Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
    all.forEach(ProcessHandle::destroy);
    for (ProcessHandle handle : all) {
      try {
        handle.onExit().get(STOP_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception notStopped) {
        handle.destroyForcibly();
      }
    }
    process = null;
  }

  /** Where this test reaches Keycloak. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** The {@code iss} of this realm's tokens (the fixed hostname plus the realm). */
  public String issuer() {
    return "http://localhost:" + port + "/realms/" + realm;
  }

  /** The realm's key set, at the address this test reaches (as compose's gateway does). */
  public URI jwksUri() {
    return URI.create(baseUrl() + "/realms/" + realm + "/protocol/openid-connect/certs");
  }

  /** A token from the realm's token endpoint; fails the test unless Keycloak answers 200. */
  public String token(Map<String, String> form) {
    String body =
        form.entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(baseUrl() + "/realms/" + realm + "/protocol/openid-connect/token"))
                  .timeout(Duration.ofSeconds(30))
                  .header("content-type", "application/x-www-form-urlencoded")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JsonNode json = JsonMapper.builder().build().readTree(response.body());
      return json.path("access_token").asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Client-credentials grant of a confidential service client. */
  public String clientCredentials(String clientId, String secret) {
    return token(
        Map.of("grant_type", "client_credentials", "client_id", clientId, "client_secret", secret));
  }

  /** Password grant of a user through a public client with direct access grants. */
  public String password(String clientId, String username, String password) {
    return token(
        Map.of(
            "grant_type",
            "password",
            "client_id",
            clientId,
            "username",
            username,
            "password",
            password,
            "scope",
            "openid"));
  }
}
