package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.jitgw.core.config.ConfigLoader;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.HostPort;
import dev.jitgw.core.config.IdentityConfig;
import dev.jitgw.core.config.IssuerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The realm docker-compose.yml imports, served by a real Keycloak, issues tokens the gateway
 * accepts with the compose gateway's issuer settings: a service client's client-credentials token
 * and users' password-grant tokens are served, their groups reach the admin API's authorization,
 * and a token without the {@code jitgw} audience is refused.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class KeycloakIdentityTest {
  private static final Path ROOT = Path.of("..");
  private static final Path REALM_FILE = ROOT.resolve("config/keycloak/jitgw-realm.json");
  private static final JsonNode REALM = readRealm();

  /**
   * The admin listener's port, chosen before Keycloak starts: the realm's UI client lets the
   * browser back only to its registered redirect URIs, which name the compose port (9090).
   */
  private static final int ADMIN_PORT = freePort();

  @RegisterExtension
  @Order(1)
  static final KeycloakProcess keycloak =
      new KeycloakProcess(
          REALM_FILE,
          realm ->
              realm.replace(
                  "\"http://127.0.0.1:9090/ui/*\"",
                  "\"http://127.0.0.1:" + ADMIN_PORT + "/ui/*\""));

  @RegisterExtension
  @Order(2)
  static final GatewayHarness harness = new GatewayHarness(KeycloakIdentityTest::withKeycloak);

  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * The compose gateway's issuer entry (audience, groups claim, lifetime) and policy, with the
   * issuer and key set moved to this test's Keycloak port.
   */
  private static GatewayConfig withKeycloak(GatewayConfig base) {
    GatewayConfig compose =
        ConfigLoader.load(
            Optional.of(ROOT.resolve("config/compose/gateway.yaml")), Map.of(), Map.of());
    IssuerConfig composeIssuer = compose.identity().issuers().get(0);
    IssuerConfig issuer =
        new IssuerConfig(
            keycloak.issuer(),
            composeIssuer.audience(),
            keycloak.jwksUri(),
            composeIssuer.algorithms(),
            composeIssuer.groupsClaim(),
            composeIssuer.purposeClaim(),
            composeIssuer.maxTokenLifetime(),
            composeIssuer.clockSkew(),
            composeIssuer.allowedTypes(),
            composeIssuer.oneTimeTokens(),
            composeIssuer.uiClientId());
    return base.withListen(base.listen(), new HostPort("127.0.0.1", ADMIN_PORT))
        .withIdentity(IdentityConfig.defaults().withIssuers(List.of(issuer)))
        .withAdmin(compose.admin())
        .withPolicyFile(ROOT.resolve("config/compose/policy.yaml"));
  }

  private static int freePort() {
    try {
      return ChildProcess.freePort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode readRealm() {
    try {
      return JsonMapper.builder().build().readTree(REALM_FILE.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A user of the realm file in {@code group}: its name and the password the file gives it. */
  private static Map.Entry<String, String> user(String group) {
    for (JsonNode user : REALM.path("users")) {
      if (!user.hasNonNull("serviceAccountClientId")
          && user.path("groups").toString().contains("\"/" + group + "\"")) {
        return Map.entry(
            user.path("username").asText(),
            user.path("credentials").path(0).path("value").asText());
      }
    }
    throw new AssertionError("no user in group " + group + " in " + REALM_FILE);
  }

  /** A password-grant token of a user of the realm file in {@code group}. */
  private static String userToken(String group) {
    Map.Entry<String, String> user = user(group);
    return keycloak.password("jitgw-cli", user.getKey(), user.getValue());
  }

  /** The service client of the realm file whose service account is in {@code group}. */
  private static String serviceToken(String group) {
    for (JsonNode user : REALM.path("users")) {
      if (user.hasNonNull("serviceAccountClientId")
          && user.path("groups").toString().contains("\"/" + group + "\"")) {
        String clientId = user.path("serviceAccountClientId").asText();
        for (JsonNode client : REALM.path("clients")) {
          if (client.path("clientId").asText().equals(clientId)) {
            return keycloak.clientCredentials(clientId, client.path("secret").asText());
          }
        }
      }
    }
    throw new AssertionError("no service client in group " + group + " in " + REALM_FILE);
  }

  private static HttpResponse<String> adminPolicy(String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.adminUrl() + "/api/policy"))
            .timeout(Duration.ofSeconds(30))
            .header("authorization", "Bearer " + token)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String errorCode(HttpResponse<String> response) throws IOException {
    return FakeClaudeUpstream.JSON
        .readTree(response.body())
        .path("error")
        .path("details")
        .path("error_code")
        .asText();
  }

  @Test
  void aServiceClientsClientCredentialsTokenIsServed() {
    int before = harness.upstream().requests().size();
    AnthropicClient client =
        AnthropicOkHttpClient.builder()
            .baseUrl(harness.baseUrl())
            .authToken(serviceToken("eng"))
            .maxRetries(0)
            .timeout(Duration.ofSeconds(30))
            .build();
    try {
      Message message =
          client
              .messages()
              .create(
                  MessageCreateParams.builder()
                      .model("claude-test-1")
                      .maxTokens(16)
                      .addUserMessage("hi")
                      .build());
      assertThat(message.content()).isNotEmpty();
    } finally {
      client.close();
    }
    assertThat(harness.upstream().requests()).hasSize(before + 1);
    assertThat(harness.upstream().lastRequest().headers().get("x-api-key"))
        .isEqualTo(GatewayHarness.UPSTREAM_KEY);
    assertThat(harness.upstream().lastRequest().headers().contains("authorization")).isFalse();
  }

  @Test
  void aUsersPasswordGrantTokenIsServed() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                .timeout(Duration.ofSeconds(30))
                .header("x-api-key", userToken("security"))
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-test-1\",\"max_tokens\":8,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  @Test
  void theAdminGroupArrivesAndOpensTheAdminApi() throws Exception {
    HttpResponse<String> user = adminPolicy(userToken("jitgw-admins"));
    assertThat(user.statusCode()).as(user.body()).isEqualTo(200);
    assertThat(FakeClaudeUpstream.JSON.readTree(user.body()).path("version").asText()).isNotBlank();
    HttpResponse<String> service = adminPolicy(serviceToken("jitgw-admins"));
    assertThat(service.statusCode()).as(service.body()).isEqualTo(200);
  }

  @Test
  void otherGroupsAreForbiddenOnTheAdminApi() throws Exception {
    for (String token : List.of(userToken("eng"), serviceToken("eng"), userToken("security"))) {
      HttpResponse<String> response = adminPolicy(token);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
      assertThat(errorCode(response)).isEqualTo("forbidden");
    }
  }

  @Test
  void aRealmTokenWithoutTheJitgwAudienceIsRefused() throws Exception {
    // admin-cli exists in every realm and has no audience mapper: its tokens lack aud=jitgw.
    String token = null;
    for (JsonNode user : REALM.path("users")) {
      if (user.hasNonNull("credentials")) {
        token =
            keycloak.password(
                "admin-cli",
                user.path("username").asText(),
                user.path("credentials").path(0).path("value").asText());
        break;
      }
    }
    int before = harness.upstream().requests().size();
    HttpResponse<String> response = adminPolicy(token);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
    assertThat(errorCode(response)).isEqualTo("invalid_token");
    assertThat(harness.upstream().requests()).hasSize(before);
  }

  @Test
  void anAdminSignsInToTheUiThroughKeycloakWithPkce() {
    WebDriver browser = HeadlessChromium.start();
    try {
      WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
      browser.get(harness.adminUrl() + "/ui/approvals");
      WebElement signIn =
          wait.until(
              ExpectedConditions.visibilityOfElementLocated(
                  By.cssSelector("#login-providers button")));
      assertThat(signIn.getText()).contains(keycloak.issuer());
      signIn.click();

      // Keycloak's own sign-in page, reached with a code challenge.
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username")));
      assertThat(browser.getCurrentUrl())
          .startsWith(keycloak.issuer())
          .contains("code_challenge_method=S256")
          .contains("client_id=jitgw-ui");
      Map.Entry<String, String> admin = user("jitgw-admins");
      browser.findElement(By.id("username")).sendKeys(admin.getKey());
      browser.findElement(By.id("password")).sendKeys(admin.getValue());
      browser.findElement(By.id("kc-login")).click();

      // Back on the page asked for, signed in with Keycloak's token, the code gone from the URL.
      wait.until(
          ExpectedConditions.textToBePresentInElementLocated(By.id("who-groups"), "jitgw-admins"));
      wait.until(ExpectedConditions.urlToBe(harness.adminUrl() + "/ui/approvals"));
      // The approvals page's API call was answered with that token.
      wait.until(
          driver -> {
            String status = driver.findElement(By.id("approvals-status")).getText();
            return !status.isBlank() && !status.startsWith("Loading");
          });
      assertThat(browser.findElements(By.id("login-providers"))).isEmpty();
      Object token =
          ((JavascriptExecutor) browser)
              .executeScript("return sessionStorage.getItem('jitgw.admin.token')");
      assertThat(token).isInstanceOf(String.class);
      assertThat((String) token).contains(".");
    } finally {
      browser.quit();
    }
  }
}
