package dev.jitgw.server.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.config.DataSize;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.Exchange;
import dev.jitgw.core.exchange.ExchangeId;
import dev.jitgw.core.stage.RequestStage;
import dev.jitgw.server.Transport;
import dev.jitgw.server.upstream.UpstreamClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exchange handler's answers that never involve the upstream: refused targets, oversize bodies,
 * framing rejections, and stages that fail now or later.
 */
class ExchangeHandlerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final UpstreamClient upstream =
      new UpstreamClient(GatewayConfig.defaults().upstream(), Transport.NIO, Runnable::run);

  @TempDir Path dataDir;
  private RocksAuditLog auditLog;

  @AfterEach
  void close() {
    upstream.close();
    if (auditLog != null) {
      auditLog.close();
    }
  }

  private RocksAuditLog auditLog() {
    if (auditLog == null) {
      try {
        auditLog =
            RocksAuditLog.open(
                RocksAuditLog.Settings.inDataDirectory(
                    dataDir, "test/audit", Duration.ofHours(1), Clock.systemUTC()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return auditLog;
  }

  private EmbeddedChannel channel(GatewayConfig config, RequestStage... stages) {
    return channel(config, List.of(), List.of(stages));
  }

  private EmbeddedChannel channel(
      GatewayConfig config, List<RequestStage> headStages, List<RequestStage> stages) {
    DataPlane dataPlane =
        new DataPlane(
            config,
            headStages,
            stages,
            List.of(),
            upstream,
            new ExchangeTracker(),
            auditLog(),
            new dev.jitgw.server.metrics.GatewayMetrics(
                dev.jitgw.core.exchange.PriceTable.defaults()),
            null,
            Clock.systemUTC());
    return new EmbeddedChannel(new ExchangeHandler(dataPlane));
  }

  private static DefaultFullHttpRequest post(String uri, String body) {
    DefaultFullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.POST,
            uri,
            Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    HttpUtil.setContentLength(request, body.length());
    return request;
  }

  private static JsonNode errorOf(FullHttpResponse response) throws Exception {
    try {
      JsonNode body = JSON.readTree(response.content().toString(StandardCharsets.UTF_8));
      assertThat(body.path("request_id").asText())
          .isEqualTo(response.headers().get("jitgw-exchange-id"));
      assertThat(ExchangeId.isValid(body.path("request_id").asText())).isTrue();
      return body.path("error");
    } finally {
      response.release();
    }
  }

  @Test
  void pathOutsideV1IsNotFoundAndClosesTheConnection() throws Exception {
    EmbeddedChannel channel = channel(GatewayConfig.defaults());
    channel.writeInbound(post("/admin/secrets", "{}"));
    FullHttpResponse response = channel.readOutbound();
    assertThat(response.status().code()).isEqualTo(404);
    assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
    assertThat(errorOf(response).path("details").path("error_code").asText())
        .isEqualTo("not_found");
    assertThat(channel.isOpen()).isFalse();
    assertFalse(channel.finish());
  }

  @Test
  void bodyOverTheCapIs413() throws Exception {
    GatewayConfig config = GatewayConfig.defaults();
    config = config.withHttp(config.http().withMaxBodySize(DataSize.of(8)));
    EmbeddedChannel channel = channel(config);
    channel.writeInbound(post("/v1/messages", "{\"a\":\"0123456789\"}"));
    FullHttpResponse response = channel.readOutbound();
    assertThat(response.status().code()).isEqualTo(413);
    assertThat(errorOf(response).path("type").asText()).isEqualTo("request_too_large");
    assertFalse(channel.finish());
  }

  @Test
  void framingRejectionIsAnsweredAndCloses() throws Exception {
    EmbeddedChannel channel = channel(GatewayConfig.defaults());
    channel.writeInbound(
        new Rejection(ErrorCode.HEADERS_TOO_LARGE, "The request headers are too large."));
    FullHttpResponse response = channel.readOutbound();
    assertThat(response.status().code()).isEqualTo(431);
    assertThat(errorOf(response).path("details").path("error_code").asText())
        .isEqualTo("headers_too_large");
    assertThat(channel.isOpen()).isFalse();
    assertFalse(channel.finish());
  }

  @Test
  void theBodyIsKeptWithoutTheSocketReadItCameIn() throws Exception {
    CompletableFuture<Void> pending = new CompletableFuture<>();
    AtomicReference<Exchange> held = new AtomicReference<>();
    EmbeddedChannel channel =
        channel(
            GatewayConfig.defaults(),
            exchange -> {
              held.set(exchange);
              return pending;
            });
    String body = "{\"model\":\"m\",\"stream\":true}";
    // As the HTTP decoder hands it over: a slice of a much larger socket read.
    ByteBuf socketRead = Unpooled.directBuffer(64 * 1024);
    socketRead.writeBytes(body.getBytes(StandardCharsets.UTF_8));
    DefaultFullHttpRequest request = post("/v1/messages", "");
    request.content().release();
    HttpUtil.setContentLength(request, body.length());
    channel.writeInbound(request.replace(socketRead.readRetainedSlice(body.length())));
    socketRead.release();

    // The exchange goes on (its stage has not answered), and the read is back in the pool.
    assertThat(held.get()).isNotNull();
    assertThat(socketRead.refCnt()).isZero();
    ByteBuf kept = held.get().body().orElseThrow();
    assertThat(kept.toString(StandardCharsets.UTF_8)).isEqualTo(body);
    assertThat(kept.capacity()).isEqualTo(body.length());

    pending.completeExceptionally(new GatewayException(ErrorCode.POLICY_DENIED, "no"));
    channel.runPendingTasks();
    ((FullHttpResponse) channel.readOutbound()).release();
    channel.finishAndReleaseAll();
  }

  @Test
  void stageDenialCompletedLaterIsAnsweredOnTheEventLoopAndKeepsTheConnection() throws Exception {
    CompletableFuture<Void> decision = new CompletableFuture<>();
    EmbeddedChannel channel = channel(GatewayConfig.defaults(), exchange -> decision);
    channel.writeInbound(post("/v1/messages", "{\"model\":\"m\"}"));
    assertThat((Object) channel.readOutbound()).isNull();

    decision.completeExceptionally(
        new GatewayException(ErrorCode.POLICY_DENIED, "Denied by rule 'no-opus': not for you"));
    channel.runPendingTasks();

    FullHttpResponse response = channel.readOutbound();
    assertThat(response.status().code()).isEqualTo(403);
    assertThat(response.headers().get("x-should-retry")).isEqualTo("false");
    assertThat(response.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
    JsonNode error = errorOf(response);
    assertThat(error.path("type").asText()).isEqualTo("permission_error");
    assertThat(error.path("message").asText()).isEqualTo("Denied by rule 'no-opus': not for you");
    assertThat(channel.isOpen()).isTrue();
    assertFalse(channel.finish());
  }

  @Test
  void unexpectedStageFailureIsAnInternalErrorWithoutDetails() throws Exception {
    EmbeddedChannel channel =
        channel(
            GatewayConfig.defaults(),
            exchange -> {
              throw new IllegalStateException("secret internal detail");
            });
    channel.writeInbound(post("/v1/messages", "{}"));
    channel.runPendingTasks();
    FullHttpResponse response = channel.readOutbound();
    assertThat(response.status().code()).isEqualTo(500);
    JsonNode error = errorOf(response);
    assertThat(error.path("message").asText()).doesNotContain("secret internal detail");
    assertFalse(channel.finish());
  }

  @Test
  void authenticationRunsOnTheHeadBeforeAnyBodyIsRead() throws Exception {
    CompletableFuture<Void> verdict = new CompletableFuture<>();
    EmbeddedChannel channel =
        channel(GatewayConfig.defaults(), List.of(exchange -> verdict), List.of());
    DefaultHttpRequest head =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/messages");
    HttpUtil.setContentLength(head, 100);
    HttpUtil.set100ContinueExpected(head, true);
    channel.writeInbound(head);
    assertThat((Object) channel.readOutbound()).as("no 100 Continue before the verdict").isNull();

    verdict.completeExceptionally(
        new GatewayException(ErrorCode.INVALID_TOKEN, "The token was rejected: bad."));
    channel.runPendingTasks();
    FullHttpResponse response = channel.readOutbound();
    assertThat(response.status().code()).isEqualTo(401);
    assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
    assertThat(errorOf(response).path("details").path("error_code").asText())
        .isEqualTo("invalid_token");
    assertThat(channel.isOpen()).isFalse();
    assertFalse(channel.finish());
  }

  @Test
  void aVerifiedHeadGets100ContinueAndItsBodyIsRead() throws Exception {
    CompletableFuture<Void> verdict = new CompletableFuture<>();
    CompletableFuture<Void> deny = new CompletableFuture<>();
    EmbeddedChannel channel =
        channel(GatewayConfig.defaults(), List.of(exchange -> verdict), List.of(exchange -> deny));
    DefaultHttpRequest head =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/messages");
    HttpUtil.setContentLength(head, 2);
    HttpUtil.set100ContinueExpected(head, true);
    channel.writeInbound(head);
    channel.writeInbound(
        new io.netty.handler.codec.http.DefaultLastHttpContent(
            Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8)));
    verdict.complete(null);
    channel.runPendingTasks();
    FullHttpResponse continued = channel.readOutbound();
    assertThat(continued.status().code()).isEqualTo(100);
    continued.release();
    deny.completeExceptionally(new GatewayException(ErrorCode.POLICY_DENIED, "Denied."));
    channel.runPendingTasks();
    FullHttpResponse denied = channel.readOutbound();
    assertThat(denied.status().code()).isEqualTo(403);
    denied.release();
    assertFalse(channel.finish());
  }

  @Test
  void aBodyThatDoesNotArriveInTimeIs408() throws Exception {
    EmbeddedChannel channel = channel(GatewayConfig.defaults());
    channel.freezeTime();
    DefaultHttpRequest head =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/messages");
    HttpUtil.setContentLength(head, 100);
    channel.writeInbound(head);
    channel.advanceTimeBy(59, TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    assertThat((Object) channel.readOutbound()).isNull();
    channel.advanceTimeBy(2, TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    FullHttpResponse response = channel.readOutbound();
    assertThat(response.status().code()).isEqualTo(408);
    assertThat(errorOf(response).path("details").path("error_code").asText())
        .isEqualTo("request_timeout");
    assertThat(channel.isOpen()).isFalse();
    assertFalse(channel.finish());
  }

  @Test
  void anIdleConnectionIsClosedQuietly() {
    EmbeddedChannel channel = channel(GatewayConfig.defaults());
    channel.freezeTime();
    channel.advanceTimeBy(61, TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    assertThat((Object) channel.readOutbound()).isNull();
    assertThat(channel.isOpen()).isFalse();
    assertFalse(channel.finish());
  }

  @Test
  void unauthenticatedStyleErrorCarriesWwwAuthenticate() throws Exception {
    EmbeddedChannel channel =
        channel(
            GatewayConfig.defaults(),
            exchange ->
                CompletableFuture.failedFuture(
                    new GatewayException(ErrorCode.MISSING_CREDENTIAL, "No credential.")));
    channel.writeInbound(post("/v1/messages", "{}"));
    channel.runPendingTasks();
    FullHttpResponse response = channel.readOutbound();
    assertThat(response.status().code()).isEqualTo(401);
    assertThat(response.headers().get(HttpHeaderNames.WWW_AUTHENTICATE))
        .isEqualTo("Bearer error=\"invalid_token\"");
    assertThat(response.headers().get("x-should-retry")).isEqualTo("false");
    response.release();
    assertFalse(channel.finish());
  }
}
