package dev.jitgw.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class AdminHandlerTest {

  private static String body(FullHttpResponse response) {
    try {
      return response.content().toString(StandardCharsets.UTF_8);
    } finally {
      response.release();
    }
  }

  private static FullHttpResponse get(EmbeddedChannel channel, String path) {
    channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path));
    return channel.readOutbound();
  }

  @Test
  void healthzIsAlwaysOk() {
    EmbeddedChannel channel = new EmbeddedChannel(new AdminHandler(new Readiness()));
    FullHttpResponse response = get(channel, "/healthz");
    assertThat(response.status().code()).isEqualTo(200);
    assertThat(body(response)).isEqualTo("{\"status\":\"ok\"}");
    assertFalse(channel.finish());
  }

  @Test
  void servesTheOpenApiDocumentWithoutAToken() {
    EmbeddedChannel channel = new EmbeddedChannel(new AdminHandler(new Readiness()));
    FullHttpResponse response = get(channel, "/api/openapi.json");
    assertThat(response.status().code()).isEqualTo(200);
    assertThat(response.headers().get("content-type")).isEqualTo("application/json");
    assertThat(body(response)).startsWith("{").contains("\"openapi\": \"3.1.0\"");
    assertFalse(channel.finish());
  }

  @Test
  void readyzFollowsEveryCheck() {
    AtomicBoolean accepting = new AtomicBoolean(true);
    Readiness readiness =
        new Readiness().register("accepting", accepting::get).register("policy", () -> true);
    EmbeddedChannel channel = new EmbeddedChannel(new AdminHandler(readiness));

    FullHttpResponse ready = get(channel, "/readyz");
    assertThat(ready.status().code()).isEqualTo(200);
    assertThat(body(ready))
        .isEqualTo("{\"status\":\"ready\",\"checks\":{\"accepting\":true,\"policy\":true}}");

    accepting.set(false);
    FullHttpResponse notReady = get(channel, "/readyz");
    assertThat(notReady.status().code()).isEqualTo(503);
    assertThat(body(notReady)).contains("\"accepting\":false").contains("not_ready");
    assertFalse(channel.finish());
  }

  @Test
  void aThrowingCheckCountsAsNotReady() {
    Readiness readiness =
        new Readiness()
            .register(
                "audit",
                () -> {
                  throw new IllegalStateException("store closed");
                });
    EmbeddedChannel channel = new EmbeddedChannel(new AdminHandler(readiness));
    FullHttpResponse response = get(channel, "/readyz");
    assertThat(response.status().code()).isEqualTo(503);
    body(response);
    assertFalse(channel.finish());
  }

  @Test
  void unknownRouteIsAnErrorInTheContractShape() {
    EmbeddedChannel channel = new EmbeddedChannel(new AdminHandler(new Readiness()));
    FullHttpResponse response = get(channel, "/nope");
    assertThat(response.status().code()).isEqualTo(404);
    assertThat(body(response)).contains("\"error_code\":\"not_found\"");
    assertFalse(channel.finish());
  }
}
