package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The policy routes behind the UI's draft editor (docs/ui.md): {@code POST /api/policy/check}
 * compiles and explains a draft, {@code POST /api/policy} saves and reloads it, admins only; and
 * the UI itself over a real socket.
 */
class UiPolicyRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static final String POLICY =
      """
      version: 1
      rules:
        - name: no-opus
          when: request.model.startsWith("claude-opus")
          deny: "opus is not for everyone"
        - name: eng
          when: '"eng" in identity.groups && request.max_tokens <= 4096'
          allow: {mask: [secrets]}
      """;

  static final String DRAFT =
      """
      version: 1
      rules:
        - name: shell-needs-approval
          when: request.tools.exists(t, t.name == "bash")
          approve: {approvers: [security], timeout: 60s}
        - name: eng
          when: '"eng" in identity.groups'
          allow: {}
      """;

  static final String BROKEN =
      """
      version: 1
      rules:
        - name: fine
          when: "true"
          allow: {}
        - name: typo
          when: request.modle == 1 &&
          deny: "x"
      """;

  private final Path policyFile = policyFile();

  @RegisterExtension
  final GatewayHarness harness = new GatewayHarness(config -> config.withPolicyFile(policyFile));

  private final HttpClient http = HttpClient.newHttpClient();

  private static Path policyFile() {
    try {
      Path file = Files.createTempFile("jitgw-ui-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(file, POLICY);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String admin() {
    return harness.identityProvider().token().subject("root").groups("jitgw-admins").sign();
  }

  private String engineer() {
    return harness.identityProvider().token().subject("alice").groups("eng").sign();
  }

  private HttpResponse<String> post(String path, String token, Object body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(harness.adminUrl() + path))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(harness.adminUrl() + path));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private static ObjectNode check(String policy, Map<String, Object> claims, Object request) {
    ObjectNode body = JSON.createObjectNode();
    body.put("policy", policy);
    body.set("claims", JSON.valueToTree(claims));
    body.set("request", JSON.valueToTree(request));
    return body;
  }

  private static Map<String, Object> messages(String model, Object... more) {
    Map<String, Object> request = new java.util.LinkedHashMap<>();
    request.put("model", model);
    request.put("max_tokens", 1024);
    request.put("messages", List.of(Map.of("role", "user", "content", "hi")));
    for (int i = 0; i < more.length; i += 2) {
      request.put((String) more[i], more[i + 1]);
    }
    return request;
  }

  @Test
  void aDraftIsExplainedAgainstTheSampleLikePolicyTest() throws Exception {
    HttpResponse<String> response =
        post(
            "/api/policy/check",
            admin(),
            check(
                POLICY,
                Map.of("sub", "alice", "groups", List.of("eng")),
                messages("claude-sonnet-4-5")));
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode answer = json(response);
    assertThat(answer.at("/rules/0/name").asText()).isEqualTo("no-opus");
    assertThat(answer.at("/trial/identity/sub").asText()).isEqualTo("alice");
    assertThat(answer.at("/trial/decision/kind").asText()).isEqualTo("allow");
    assertThat(answer.at("/trial/decision/rule").asText()).isEqualTo("eng");
    assertThat(answer.at("/trial/decision/text").asText())
        .isEqualTo("allow (rule eng) mask=[secrets]");
    JsonNode first = answer.at("/trial/trace/0");
    assertThat(first.get("rule").asText()).isEqualTo("no-opus");
    assertThat(first.get("outcome").asText()).isEqualTo("not_matched");
    assertThat(first.at("/parts/0/value").asText()).isEqualTo("false");
    assertThat(answer.at("/trial/trace/1/outcome").asText()).isEqualTo("matched");

    // The same draft denies a caller outside eng, naming why each part failed.
    JsonNode denied =
        json(
            post(
                "/api/policy/check",
                admin(),
                check(
                    POLICY,
                    Map.of("sub", "mallory", "groups", List.of("sales")),
                    messages("claude-sonnet-4-5"))));
    assertThat(denied.at("/trial/decision/kind").asText()).isEqualTo("deny");
    assertThat(denied.at("/trial/trace/1/parts/0/expression").asText())
        .isEqualTo("\"eng\" in identity.groups");
    assertThat(denied.at("/trial/trace/1/parts/0/value").asText()).isEqualTo("false");
  }

  @Test
  void aDraftThatDoesNotCompileIsA400WithLineRuleAndCelMessage() throws Exception {
    HttpResponse<String> response =
        post("/api/policy/check", admin(), check(BROKEN, Map.of("sub", "a"), messages("m")));
    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode details = json(response).at("/error/details");
    assertThat(details.get("error_code").asText()).isEqualTo("bad_request");
    assertThat(details.get("source").asText()).isEqualTo("policy file " + policyFile);
    assertThat(details.get("line").asInt()).isEqualTo(6);
    assertThat(details.get("rule").asText()).isEqualTo("typo");
    assertThat(details.get("problem").asText()).isNotBlank();
    assertThat(json(response).at("/error/message").asText()).contains("line 6, rule 'typo'");
  }

  @Test
  void aRequestTheGatewayWouldRefuseIsSaidSo() throws Exception {
    JsonNode answer =
        json(
            post(
                "/api/policy/check",
                admin(),
                check(POLICY, Map.of("sub", "alice"), "{\"model\": \"claude-")));
    assertThat(answer.at("/trial/decision/kind").asText()).isEqualTo("refused");
    assertThat(answer.at("/trial/decision/status").asInt()).isEqualTo(400);
    assertThat(answer.at("/trial/decision/error_code").asText()).isEqualTo("invalid_json");
  }

  @Test
  void savingADraftWritesTheFileAndPutsItInForce() throws Exception {
    String before = json(get("/api/policy", admin())).get("version").asText();
    HttpResponse<String> saved = post("/api/policy", admin(), Map.of("policy", DRAFT));
    assertThat(saved.statusCode()).isEqualTo(200);
    String after = json(saved).get("version").asText();
    assertThat(after).isNotEqualTo(before);
    assertThat(Files.readString(policyFile, UTF_8)).isEqualTo(DRAFT);

    JsonNode current = json(get("/api/policy", admin()));
    assertThat(current.get("version").asText()).isEqualTo(after);
    assertThat(current.at("/rules/0/name").asText()).isEqualTo("shell-needs-approval");
    assertThat(current.at("/file/text").asText()).isEqualTo(DRAFT);
  }

  @Test
  void aRefusedDraftLeavesTheFileAndThePolicyAsTheyWere() throws Exception {
    String before = json(get("/api/policy", admin())).get("version").asText();
    HttpResponse<String> refused = post("/api/policy", admin(), Map.of("policy", BROKEN));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(json(refused).at("/error/details/rule").asText()).isEqualTo("typo");
    assertThat(Files.readString(policyFile, UTF_8)).isEqualTo(POLICY);
    assertThat(json(get("/api/policy", admin())).get("version").asText()).isEqualTo(before);
    try (var siblings = Files.list(policyFile.getParent())) {
      assertThat(siblings.map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.startsWith("." + policyFile.getFileName()));
    }
  }

  @Test
  void onlyAdminsMayCheckOrSave() throws Exception {
    ObjectNode body = check(POLICY, Map.of("sub", "a"), messages("m"));
    for (String path : List.of("/api/policy/check", "/api/policy")) {
      HttpResponse<String> forbidden = post(path, engineer(), body);
      assertThat(forbidden.statusCode()).as(path).isEqualTo(403);
      assertThat(json(forbidden).at("/error/details/error_code").asText()).isEqualTo("forbidden");
      assertThat(post(path, null, body).statusCode()).as(path).isEqualTo(401);
    }
    assertThat(get("/api/policy", engineer()).statusCode()).isEqualTo(403);
    assertThat(Files.readString(policyFile, UTF_8)).isEqualTo(POLICY);
  }

  @Test
  void badBodiesAreRefused() throws Exception {
    assertThat(post("/api/policy/check", admin(), Map.of("claims", Map.of())).statusCode())
        .isEqualTo(400);
    assertThat(post("/api/policy/check", admin(), List.of(1, 2)).statusCode()).isEqualTo(400);
    assertThat(
            post("/api/policy/check", admin(), Map.of("policy", POLICY, "claims", "x"))
                .statusCode())
        .isEqualTo(400);
  }

  @Test
  void withoutAPolicyFileSavingIsAConflict() throws Exception {
    GatewayHarness builtIn = new GatewayHarness();
    builtIn.beforeAll(null);
    try {
      String token =
          builtIn.identityProvider().token().subject("root").groups("jitgw-admins").sign();
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(builtIn.adminUrl() + "/api/policy"))
                  .header("authorization", "Bearer " + token)
                  .POST(HttpRequest.BodyPublishers.ofString("{\"policy\": \"version: 1\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(409);
      assertThat(json(response).at("/error/details/error_code").asText())
          .isEqualTo("policy_not_from_file");
      assertThat(json(response).at("/error/message").asText()).contains("policy file");
    } finally {
      builtIn.afterAll(null);
    }
  }

  @Test
  void theUiIsServedOverARealSocketAndTraversalIsRefused() throws Exception {
    HttpResponse<String> index = get("/ui/", null);
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(index.body()).contains("<script type=\"module\" src=\"/ui/app.js\">");
    int port = URI.create(harness.adminUrl()).getPort();
    for (String path :
        List.of("/ui/../../../../etc/passwd", "/ui/%2e%2e/%2e%2e/%2e%2e/etc/passwd")) {
      String raw =
          RawHttp.sendAndReadUntilClose(
              port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(raw).as(path).startsWith("HTTP/1.1 404").doesNotContain("root:");
    }
  }
}
