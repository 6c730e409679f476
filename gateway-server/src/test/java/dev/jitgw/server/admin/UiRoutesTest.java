package dev.jitgw.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jitgw.core.config.IssuerConfig;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The admin UI's static files (docs/ui.md): types, headers, the app-route fallback, traversal. */
class UiRoutesTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new AdminHandler(new Readiness()));

  @AfterEach
  void finish() {
    assertFalse(channel.finish());
  }

  private FullHttpResponse send(FullHttpRequest request) {
    channel.writeInbound(request);
    return channel.readOutbound();
  }

  private FullHttpResponse get(String uri) {
    return send(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri));
  }

  private static String body(FullHttpResponse response) {
    try {
      return response.content().toString(StandardCharsets.UTF_8);
    } finally {
      response.release();
    }
  }

  private static String resource(String name) throws IOException {
    return Files.readString(Path.of("src/main/resources/ui", name), StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({
    "/ui/,              text/html; charset=utf-8,       index.html",
    "/ui/index.html,    text/html; charset=utf-8,       index.html",
    "/ui/app.js,        text/javascript; charset=utf-8, app.js",
    "/ui/replay.js,     text/javascript; charset=utf-8, replay.js",
    "/ui/app.css,       text/css; charset=utf-8,        app.css",
    "/ui/favicon.svg,   image/svg+xml,                  favicon.svg",
    "/ui/app.js?v=2,    text/javascript; charset=utf-8, app.js",
  })
  void eachFileHasItsTypeAndTheSecurityHeaders(String uri, String type, String file)
      throws IOException {
    FullHttpResponse response = get(uri);
    assertThat(response.status().code()).isEqualTo(200);
    assertThat(response.headers().get("content-type")).isEqualTo(type);
    assertThat(response.headers().get("cache-control")).isEqualTo("no-cache");
    assertThat(response.headers().get("content-security-policy"))
        .contains("default-src 'none'")
        .contains("script-src 'self'")
        .contains("frame-ancestors 'none'")
        .doesNotContain("unsafe-inline")
        .doesNotContain("unsafe-eval");
    assertThat(response.headers().get("x-content-type-options")).isEqualTo("nosniff");
    assertThat(response.headers().get("x-frame-options")).isEqualTo("DENY");
    assertThat(response.headers().get("etag")).startsWith("\"");
    assertThat(body(response)).isEqualTo(resource(file));
  }

  @Test
  void everyCommittedFileIsServedAndNothingElse() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("src/main/resources/ui"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(UiRoutes.ASSETS);
    }
  }

  @Test
  void withoutSignInIssuersTheLoginOptionsAreEmptyAndTheCspOnlyThisOrigin() {
    FullHttpResponse response = get("/ui/login.json");
    assertThat(response.status().code()).isEqualTo(200);
    assertThat(response.headers().get("content-type")).isEqualTo("application/json");
    assertThat(response.headers().get("content-security-policy")).contains("connect-src 'self';");
    assertThat(body(response)).isEqualTo("{\"providers\":[]}");
  }

  @Test
  void issuersWithAUiClientAreOfferedAndOnlyTheirOriginsMayBeFetched() {
    UiRoutes ui =
        new UiRoutes(
            List.of(
                IssuerConfig.of("https://idp.example/realms/jitgw").withUiClientId("jitgw-ui"),
                IssuerConfig.of("https://token.actions.githubusercontent.com"),
                IssuerConfig.of("http://localhost:8180/realms/other").withUiClientId("ui")));
    FullHttpResponse response =
        ui.answer(
            UnpooledByteBufAllocator.DEFAULT,
            new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ui/login.json"),
            "/ui/login.json");
    assertThat(response.headers().get("content-security-policy"))
        .contains("connect-src 'self' https://idp.example http://localhost:8180;")
        .doesNotContain("githubusercontent");
    assertThat(body(response))
        .isEqualTo(
            "{\"providers\":["
                + "{\"issuer\":\"https://idp.example/realms/jitgw\",\"client_id\":\"jitgw-ui\"},"
                + "{\"issuer\":\"http://localhost:8180/realms/other\",\"client_id\":\"ui\"}]}");
  }

  @Test
  void theIndexHasNoInlineScriptOrStyle() throws IOException {
    String index = resource("index.html");
    assertThat(index).doesNotContainPattern("<script(?![^>]*\\bsrc=)");
    assertThat(index).doesNotContain("<style").doesNotContain(" style=");
    assertThat(index).doesNotContainPattern("\\son[a-z]+\\s*="); // no inline handlers
    assertThat(index).doesNotContain("http://").doesNotContain("https://"); // no CDN
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/ui/approvals",
        "/ui/approvals/apr_01JX3Q8Z6V2K8M4T9W5B7C1D0E",
        "/ui/exchanges/ex_01JX3Q8Z6TZ5N0QH2S1R7A4M3B",
        "/ui/audit",
        "/ui/policy/",
      })
  void appRoutesServeTheIndex(String uri) throws IOException {
    FullHttpResponse response = get(uri);
    assertThat(response.status().code()).isEqualTo(200);
    assertThat(response.headers().get("content-type")).isEqualTo("text/html; charset=utf-8");
    assertThat(response.headers().get("content-security-policy")).isNotNull();
    assertThat(body(response)).isEqualTo(resource("index.html"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/ui/../pom.xml",
        "/ui/../../etc/passwd",
        "/ui/%2e%2e/%2e%2e/etc/passwd",
        "/ui/..%2f..%2fetc%2fpasswd",
        "/ui/%2E%2E%2Fpom.xml",
        "/ui/approvals/../../logback.xml",
        "/ui/./app.js",
        "/ui//etc/passwd",
        "/ui/..\\..\\etc\\passwd",
        "/ui/%5c..%5clogback.xml",
        "/ui/app.js%00.html",
        "/ui/.hidden",
        "/ui/logback.xml",
        "/ui/ui/app.js",
        "/ui/dev/jitgw/server/admin/UiRoutes.class",
        "/ui/missing.js",
        "/ui/file:%2f%2f%2fetc%2fpasswd",
      })
  void pathsOutsideTheUiFilesAreNotFound(String uri) {
    FullHttpResponse response = get(uri);
    assertThat(response.status().code()).as(uri).isEqualTo(404);
    assertThat(body(response)).contains("\"error_code\":\"not_found\"").doesNotContain("root:");
  }

  @Test
  void uiWithoutSlashRedirects() {
    FullHttpResponse response = get("/ui");
    assertThat(response.status().code()).isEqualTo(301);
    assertThat(response.headers().get("location")).isEqualTo("/ui/");
    body(response);
  }

  @Test
  void headHasTheHeadersAndNoBody() {
    FullHttpResponse response =
        send(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.HEAD, "/ui/app.js"));
    assertThat(response.status().code()).isEqualTo(200);
    assertThat(response.headers().getInt("content-length")).isGreaterThan(0);
    assertThat(body(response)).isEmpty();
  }

  @Test
  void aMatchingEtagIsNotModified() {
    FullHttpResponse first = get("/ui/app.css");
    String etag = first.headers().get("etag");
    body(first);
    FullHttpRequest again =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ui/app.css");
    again.headers().set("if-none-match", etag);
    FullHttpResponse response = send(again);
    assertThat(response.status().code()).isEqualTo(304);
    assertThat(body(response)).isEmpty();
  }

  @Test
  void onlyGetAndHeadAreServed() {
    for (HttpMethod method : List.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE)) {
      FullHttpResponse response =
          send(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/ui/"));
      assertThat(response.status().code()).as(method.name()).isEqualTo(404);
      body(response);
    }
  }
}
