package dev.jitgw.server.admin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.server.it.GatewayHarness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The admin API's OpenAPI document against the real routes: every documented operation exists on a
 * live gateway and answers only statuses it documents, with the documented required fields; every
 * route in {@link AdminRoutes} is documented. Operations marked {@code x-jitgw-pending: true} may
 * still be missing from the handler.
 */
class OpenApiDocumentTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");

  /** Unknown ids, well formed where the route checks the shape. */
  private static final Map<String, String> PATH_IDS =
      Map.of(
          "/api/exchanges/{id}", "ex_00000000000000000000000000",
          "/api/approvals/{id}", "apr_00000000000000000000000000",
          "/api/approvals/{id}/approve", "apr_00000000000000000000000000",
          "/api/approvals/{id}/deny", "apr_00000000000000000000000000",
          "/api/grants/{id}/revoke", "grt_00000000000000000000000000");

  /** Bodies that change nothing lasting (a bad draft is refused before it is saved). */
  private static final Map<String, String> BODIES =
      Map.of(
          "POST /api/tokens/revoke", "{\"jti\": \"openapi-test-jti\"}",
          "POST /api/approvals/{id}/approve", "{\"reason\": \"openapi test\"}",
          "POST /api/approvals/{id}/deny", "{\"reason\": \"openapi test\"}",
          "POST /api/policy", "{\"policy\": \"rules: [this is not a policy\"}",
          "POST /api/policy/check",
              "{\"policy\": \"version: 1\\nrules:\\n  - name: all\\n    when: \\\"true\\\"\\n"
                  + "    allow: {}\\n\", \"claims\": {\"sub\": \"alice\"},"
                  + " \"request\": {\"model\": \"claude-test\", \"max_tokens\": 1,"
                  + " \"messages\": []}}");

  private static final Path POLICY = policy();

  @RegisterExtension
  static final GatewayHarness harness = new GatewayHarness(config -> config.withPolicyFile(POLICY));

  private final HttpClient http = HttpClient.newHttpClient();

  private static Path policy() {
    try {
      Path file = Files.createTempFile("jitgw-openapi-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: everyone
              when: "true"
              allow: {}
          """);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  record Operation(String method, String path, JsonNode node) {
    boolean pending() {
      return node.path("x-jitgw-pending").asBoolean(false);
    }

    String key() {
      return method + " " + path;
    }
  }

  private static JsonNode document() throws IOException {
    return JSON.readTree(OpenApiDocument.bytes());
  }

  private static List<Operation> operations(JsonNode document) {
    List<Operation> all = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields();
        paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
        Map.Entry<String, JsonNode> op = ops.next();
        if (METHODS.contains(op.getKey())) {
          all.add(
              new Operation(op.getKey().toUpperCase(Locale.ROOT), path.getKey(), op.getValue()));
        }
      }
    }
    return all;
  }

  private String adminToken() {
    return harness.identityProvider().token().subject("root").groups("jitgw-admins").sign();
  }

  private HttpResponse<String> call(Operation op, String token) throws Exception {
    String path = op.path();
    if (path.contains("{id}")) {
      assertThat(PATH_IDS).as("an id for %s", path).containsKey(path);
      path = path.replace("{id}", PATH_IDS.get(path));
    }
    String body = BODIES.getOrDefault(op.key(), "");
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(harness.adminUrl() + path))
            .timeout(Duration.ofSeconds(20))
            .method(op.method(), HttpRequest.BodyPublishers.ofString(body));
    if (!body.isEmpty()) {
      request.header("content-type", "application/json");
    }
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString(UTF_8));
  }

  /** The handler's answer for a path it does not know (not a route's own 404). */
  private static boolean unknownRoute(HttpResponse<String> response) throws IOException {
    if (response.statusCode() != 404) {
      return false;
    }
    String message = JSON.readTree(response.body()).path("error").path("message").asText();
    return message.startsWith("Not found: ") || message.startsWith("Method not allowed");
  }

  private static JsonNode resolve(JsonNode document, JsonNode node) {
    while (node.has("$ref")) {
      String ref = node.get("$ref").asText();
      assertThat(ref).startsWith("#/");
      node = document.at(ref.substring(1));
      assertThat(node.isMissingNode()).as("%s resolves", ref).isFalse();
    }
    return node;
  }

  /** Required top-level fields of a schema, following $ref and allOf. */
  private static Set<String> required(JsonNode document, JsonNode schema) {
    Set<String> fields = new LinkedHashSet<>();
    JsonNode resolved = resolve(document, schema);
    resolved.path("required").forEach(field -> fields.add(field.asText()));
    resolved.path("allOf").forEach(part -> fields.addAll(required(document, part)));
    return fields;
  }

  private void exchangeOnce() throws Exception {
    HttpResponse<String> sent =
        http.send(
            HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                .header("authorization", "Bearer " + harness.token())
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\": \"claude-test\", \"max_tokens\": 16,"
                            + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(sent.statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> harness.gateway().auditLog().size() > 0);
  }

  @Test
  void everyDocumentedOperationExistsAndAnswersAsDocumented() throws Exception {
    exchangeOnce(); // so that lists and the export have something to show
    JsonNode document = document();
    List<Operation> operations = operations(document);
    assertThat(operations).hasSizeGreaterThanOrEqualTo(AdminRoutes.ALL.size());
    List<String> skipped = new ArrayList<>();
    for (Operation op : operations) {
      boolean open = op.node().has("security") && op.node().get("security").isEmpty();
      HttpResponse<String> response = call(op, open ? null : adminToken());
      if (op.pending() && unknownRoute(response)) {
        skipped.add(op.key());
        continue;
      }
      assertThat(unknownRoute(response))
          .as("%s is a route (%s %s)", op.key(), response.statusCode(), response.body())
          .isFalse();
      JsonNode documented = op.node().path("responses");
      String status = Integer.toString(response.statusCode());
      assertThat(documented.has(status))
          .as("%s answered %s, documented %s: %s", op.key(), status, documented, response.body())
          .isTrue();
      String media = response.headers().firstValue("content-type").orElse("").split(";")[0].trim();
      JsonNode content = resolve(document, documented.get(status)).path("content");
      if (media.equals("application/json")) {
        JsonNode schema = content.path("application/json").path("schema");
        assertThat(schema.isMissingNode()).as("%s %s documents JSON", op.key(), status).isFalse();
        JsonNode body = JSON.readTree(response.body());
        for (String field : required(document, schema)) {
          assertThat(body.has(field))
              .as("%s %s has required field '%s': %s", op.key(), status, field, response.body())
              .isTrue();
        }
        if (body.has("error")) {
          assertThat(body.at("/error/details/error_code").isTextual()).isTrue();
        }
      } else {
        assertThat(content.has(media))
            .as("%s %s documents %s (%s)", op.key(), status, media, content)
            .isTrue();
      }
      if (!open) {
        HttpResponse<String> anonymous = call(op, null);
        assertThat(anonymous.statusCode()).as("%s without a token", op.key()).isEqualTo(401);
        assertThat(documented.has("401")).as("%s documents 401", op.key()).isTrue();
      }
    }
    // Only the routes another change adds may be missing; this says which, if any.
    assertThat(skipped).isSubsetOf("POST /api/policy", "POST /api/policy/check");
  }

  @Test
  void everyRouteOfTheHandlerIsDocumentedAndNoOtherIs() throws Exception {
    JsonNode document = document();
    Set<String> documented = new LinkedHashSet<>();
    Set<String> implemented = new LinkedHashSet<>();
    for (Operation op : operations(document)) {
      if (!op.pending()) {
        implemented.add(op.key());
      }
      documented.add(op.key());
    }
    Set<String> routes = new LinkedHashSet<>();
    AdminRoutes.ALL.forEach(route -> routes.add(route.method() + " " + route.path()));
    assertThat(documented).as("documented operations").containsAll(routes);
    assertThat(routes).as("routes in AdminRoutes").containsAll(implemented);
  }

  @Test
  void theDocumentIsServedWithoutAToken() throws Exception {
    HttpResponse<String> served =
        http.send(
            HttpRequest.newBuilder(URI.create(harness.adminUrl() + "/api/openapi.json")).build(),
            HttpResponse.BodyHandlers.ofString(UTF_8));
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode document = JSON.readTree(served.body());
    assertThat(document.path("openapi").asText()).startsWith("3.1");
    assertThat(document.at("/components/securitySchemes/bearer/scheme").asText())
        .isEqualTo("bearer");
    assertThat(required(document, document.at("/components/schemas/Error/properties/error")))
        .contains("details");
  }

  @Test
  void unknownParametersOnListsAreBadRequests() throws Exception {
    JsonNode document = document();
    for (String path : List.of("/api/exchanges", "/api/approvals", "/api/grants")) {
      assertThat(document.path("paths").path(path).path("get").path("responses").has("400"))
          .as("%s documents 400", path)
          .isTrue();
      HttpResponse<String> refused =
          http.send(
              HttpRequest.newBuilder(URI.create(harness.adminUrl() + path + "?limt=5"))
                  .header("authorization", "Bearer " + adminToken())
                  .build(),
              HttpResponse.BodyHandlers.ofString(UTF_8));
      assertThat(refused.statusCode()).as(path).isEqualTo(400);
      JsonNode error = JSON.readTree(refused.body());
      assertThat(error.at("/error/details/error_code").asText()).as(path).isEqualTo("bad_request");
      assertThat(error.at("/error/message").asText()).as(path).contains("limt");
    }
  }
}
