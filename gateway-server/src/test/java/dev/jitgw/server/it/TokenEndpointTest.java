package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.policy.testing.TestIdentityProvider;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The gateway's own token endpoint: the SDKs' jwt-bearer exchange, admitted by the policy's
 * federation profiles, answered with a gateway-signed token the data plane accepts.
 */
class TokenEndpointTest {
  private static final Path POLICY = writePolicy();

  @RegisterExtension
  static final GatewayHarness harness = new GatewayHarness(c -> c.withPolicyFile(POLICY));

  private static final HttpClient http = HttpClient.newHttpClient();

  private static Path writePolicy() {
    try {
      Path file = Files.createTempFile("jitgw-federation-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: ci-only
              when: '"ci" in identity.groups && identity.claims.repository == "acme/app"'
              allow: {}
          federation:
            - id: fdrl_ci_release
              when: identity.claims.repository == "acme/app" && identity.claims.ref == "refs/heads/main"
              token_lifetime: 10m
              groups: [ci]
          """);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String ciAssertion(String ref) {
    return harness
        .identityProvider()
        .token()
        .subject("repo:acme/app:ref:" + ref)
        .claim("repository", "acme/app")
        .claim("ref", ref)
        .sign();
  }

  private static HttpResponse<String> exchange(Map<String, String> fields) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/oauth/token"))
            .header("content-type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    FakeClaudeUpstream.JSON.writeValueAsString(fields)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static Map<String, String> request(String assertion, String rule) {
    return Map.of(
        "grant_type",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion",
        assertion,
        "federation_rule_id",
        rule,
        "organization_id",
        "org_test");
  }

  private static int callMessages(String token) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                .header("authorization", "Bearer " + token)
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-test-1\",\"max_tokens\":8,\"messages\":[]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  @Test
  void anAdmittedIdentityGetsAGatewayTokenTheDataPlaneAccepts() throws Exception {
    String assertion = ciAssertion("refs/heads/main");
    assertThat(callMessages(assertion)).as("the IdP token alone lacks the ci group").isEqualTo(403);

    HttpResponse<String> response = exchange(request(assertion, "fdrl_ci_release"));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("cache-control")).contains("no-store");
    JsonNode body = FakeClaudeUpstream.JSON.readTree(response.body());
    assertThat(body.path("token_type").asText()).isEqualTo("Bearer");
    assertThat(body.path("expires_in").asLong()).isEqualTo(600);
    String accessToken = body.path("access_token").asText();
    Map<String, Object> claims = TestIdentityProvider.claimsOf(accessToken);
    assertThat(claims)
        .containsEntry("iss", "jitgw")
        .containsEntry("sub", "repo:acme/app:ref:refs/heads/main")
        .containsEntry("repository", "acme/app")
        .containsEntry("federation_rule_id", "fdrl_ci_release");
    assertThat(String.valueOf(claims.get("groups"))).contains("ci");

    int before = harness.upstream().requests().size();
    assertThat(callMessages(accessToken)).isEqualTo(200);
    assertThat(harness.upstream().requests()).hasSize(before + 1);
    assertThat(harness.upstream().lastRequest().headers().toString()).doesNotContain(accessToken);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          wrong grant type      | authorization_code | valid  | fdrl_ci_release | unsupported_grant_type
          no assertion          | jwt-bearer         | none   | fdrl_ci_release | invalid_request
          garbage assertion     | jwt-bearer         | bad    | fdrl_ci_release | invalid_grant
          unknown rule          | jwt-bearer         | valid  | fdrl_nope       | invalid_grant
          rule does not admit   | jwt-bearer         | branch | fdrl_ci_release | invalid_grant
          """)
  void refusalsFollowRfc6749(
      String name, String grant, String assertion, String rule, String expected) throws Exception {
    Map<String, String> fields = new java.util.HashMap<>();
    fields.put(
        "grant_type",
        grant.equals("jwt-bearer") ? "urn:ietf:params:oauth:grant-type:jwt-bearer" : grant);
    switch (assertion) {
      case "valid" -> fields.put("assertion", ciAssertion("refs/heads/main"));
      case "branch" -> fields.put("assertion", ciAssertion("refs/heads/feature"));
      case "bad" -> fields.put("assertion", "not-a-jwt");
      default -> {}
    }
    fields.put("federation_rule_id", rule);
    fields.put("organization_id", "org_test");
    int before = harness.upstream().requests().size();
    HttpResponse<String> response = exchange(fields);
    assertThat(response.statusCode()).as(name).isEqualTo(400);
    JsonNode body = FakeClaudeUpstream.JSON.readTree(response.body());
    assertThat(body.path("error").asText()).as(name).isEqualTo(expected);
    assertThat(body.path("error_description").asText()).isNotBlank();
    assertThat(response.body()).doesNotContain("eyJ");
    assertThat(harness.upstream().requests()).hasSize(before);
  }

  private static HttpResponse<String> revoke(String jti, String adminToken) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(harness.adminUrl() + "/api/tokens/revoke"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"jti\":\"" + jti + "\"}"));
    if (adminToken != null) {
      request.header("authorization", "Bearer " + adminToken);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anAdminRevokesAGatewayTokenByJti() throws Exception {
    String accessToken =
        FakeClaudeUpstream.JSON
            .readTree(exchange(request(ciAssertion("refs/heads/main"), "fdrl_ci_release")).body())
            .path("access_token")
            .asText();
    assertThat(callMessages(accessToken)).isEqualTo(200);
    String jti = String.valueOf(TestIdentityProvider.claimsOf(accessToken).get("jti"));

    assertThat(revoke(jti, null).statusCode()).isEqualTo(401);
    String notAdmin = harness.identityProvider().token().groups("eng").sign();
    HttpResponse<String> forbidden = revoke(jti, notAdmin);
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(forbidden.body()).contains("\"error_code\":\"forbidden\"");
    assertThat(callMessages(accessToken))
        .as("still valid after refused revocations")
        .isEqualTo(200);

    String admin = harness.identityProvider().token().subject("sec").groups("jitgw-admins").sign();
    HttpResponse<String> revoked = revoke(jti, admin);
    assertThat(revoked.statusCode()).isEqualTo(200);
    assertThat(revoked.body()).contains(jti);

    int before = harness.upstream().requests().size();
    assertThat(callMessages(accessToken)).isEqualTo(401);
    assertThat(harness.upstream().requests()).hasSize(before);
  }

  @Test
  void anAnonymousCallerCannotMakeTheGatewayBufferALargeBody() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/oauth/token"))
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"pad\":\"" + "x".repeat(200_000) + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(413);
  }

  @Test
  void aliasesOfTheTokenPathAreNeverForwarded() throws Exception {
    int before = harness.upstream().requests().size();
    for (String path : new String[] {"/v1/oauth/token/", "/v1/oauth/%74oken", "/v1/OAuth/token"}) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(harness.baseUrl() + path))
                  .header("authorization", "Bearer " + harness.token())
                  .header("content-type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"assertion\":\"secret\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(path).isEqualTo(404);
    }
    assertThat(harness.upstream().requests()).hasSize(before);
  }

  @Test
  void aFormEncodedExchangeWorksToo() throws Exception {
    String form =
        "grant_type="
            + URLEncoder.encode(
                "urn:ietf:params:oauth:grant-type:jwt-bearer", StandardCharsets.UTF_8)
            + "&assertion="
            + ciAssertion("refs/heads/main")
            + "&federation_rule_id=fdrl_ci_release&organization_id=org_test";
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/oauth/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  void aGatewayTokenCannotBeExchangedAgain() throws Exception {
    String first =
        FakeClaudeUpstream.JSON
            .readTree(exchange(request(ciAssertion("refs/heads/main"), "fdrl_ci_release")).body())
            .path("access_token")
            .asText();
    HttpResponse<String> again = exchange(request(first, "fdrl_ci_release"));
    assertThat(again.statusCode()).isEqualTo(400);
    assertThat(again.body()).contains("invalid_grant");
  }

  @Test
  void theOfficialSdkConfiguredOnlyByEnvironmentGetsJustInTimeCredentials(@TempDir Path dir)
      throws Exception {
    Path identityToken =
        Files.writeString(dir.resolve("identity-token"), ciAssertion("refs/heads/main"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder child =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"), SdkFromEnvMain.class.getName())
            .redirectErrorStream(true);
    Map<String, String> env = child.environment();
    env.keySet().removeIf(name -> name.startsWith("ANTHROPIC_"));
    env.put("ANTHROPIC_BASE_URL", harness.baseUrl());
    env.put("ANTHROPIC_IDENTITY_TOKEN_FILE", identityToken.toString());
    env.put("ANTHROPIC_FEDERATION_RULE_ID", "fdrl_ci_release");
    env.put("ANTHROPIC_ORGANIZATION_ID", "org_test");
    env.put("HOME", dir.toString());
    int before = harness.upstream().requests().size();
    Process process = child.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("TEXT=" + FakeClaudeUpstream.TEXT);
    // Only the Messages call reached the upstream, with the gateway's key.
    assertThat(harness.upstream().requests()).hasSize(before + 1);
    assertThat(harness.upstream().lastRequest().headers().get("x-api-key"))
        .isEqualTo(GatewayHarness.UPSTREAM_KEY);
    assertThat(harness.upstream().lastRequest().headers().get("anthropic-beta")).isNull();
  }
}
