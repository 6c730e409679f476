package dev.jitgw.server.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.audit.replay.ExchangeTimeline;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.HttpConfig;
import dev.jitgw.core.config.ShutdownConfig;
import dev.jitgw.core.config.UpstreamConfig;
import dev.jitgw.policy.testing.TestIdentityProvider;
import dev.jitgw.server.GatewayServer;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.X509Bundle;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code upstream.protocol: h2}: every exchange is a stream of an HTTP/2 connection the gateway
 * keeps per event loop, and the caller cannot tell: the same answers, masking, audit records and
 * failures as over HTTP/1.1.
 */
class Http2UpstreamTest {
  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** One event loop: every exchange's stream is on the one upstream connection. */
  @RegisterExtension
  static final GatewayHarness h2 =
      new GatewayHarness(config -> config.withHttp(new HttpConfig(null, null, null, null, 1)))
          .overHttp2();

  @RegisterExtension static final GatewayHarness h1 = new GatewayHarness();

  /**
   * Reads a long stream in blocks until {@code marker} has come; returns the last few KiB read,
   * through the marker.
   */
  private static String tailThrough(InputStream in, String marker) throws Exception {
    byte[] block = new byte[64 * 1024];
    String tail = "";
    while (!tail.contains(marker)) {
      int n = in.read(block);
      assertThat(n).as("the stream ended before %s", marker).isPositive();
      String read = tail + new String(block, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
      tail = read.substring(Math.max(0, read.length() - 4096));
    }
    return tail;
  }

  private static HttpResponse<byte[]> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void concurrentExchangesShareTheEventLoopsConnections() throws Exception {
    int before = h2.upstream().acceptedConnections();
    List<CompletableFuture<HttpResponse<byte[]>>> sent = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      sent.add(
          http.sendAsync(
              h2.messagesRequest("claude-test-1", i % 2 == 0),
              HttpResponse.BodyHandlers.ofByteArray()));
    }
    for (CompletableFuture<HttpResponse<byte[]>> response : sent) {
      assertThat(response.get().statusCode()).isEqualTo(200);
    }
    // One connection (one event loop), however many exchanges ran at once.
    assertThat(h2.upstream().acceptedConnections() - before).isBetween(0, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> h2.upstream().openConnections() == 1);
    FakeClaudeUpstream.Recorded last = h2.upstream().lastRequest();
    assertThat(last.headers().get("x-api-key")).isEqualTo(GatewayHarness.UPSTREAM_KEY);
    assertThat(last.headers().get("authorization")).isNull();
    assertThat(last.headers().get("host")).isEqualTo("127.0.0.1:" + h2.upstream().port());
  }

  @Test
  void answersAreTheSameAsOverHttp11() throws Exception {
    for (boolean stream : List.of(false, true)) {
      HttpResponse<byte[]> over2 = send(h2.messagesRequest("claude-test-secrets", stream));
      HttpResponse<byte[]> over1 = send(h1.messagesRequest("claude-test-secrets", stream));

      assertThat(over2.statusCode()).isEqualTo(200);
      assertThat(new String(over2.body(), UTF_8)).isEqualTo(new String(over1.body(), UTF_8));
      assertThat(over2.headers().firstValue("content-type"))
          .isEqualTo(over1.headers().firstValue("content-type"));
      assertThat(over2.headers().map().keySet()).noneMatch(name -> name.startsWith("x-http2"));
      assertThat(new String(over2.body(), UTF_8)).doesNotContain(FakeClaudeUpstream.PLANTED_KEY);

      String id = over2.headers().firstValue("jitgw-exchange-id").orElseThrow();
      List<JsonNode> records = AuditRecords.ended(h2, id);
      assertThat(AuditRecords.end(records).path("outcome").asText()).isEqualTo("complete");
      assertThat(ExchangeTimeline.of(records).body()).isEqualTo(over2.body());
    }
  }

  @Test
  void theSdkStreamsThroughAnHttp2Upstream() {
    MessageAccumulator accumulator = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream =
        h2.sdk()
            .messages()
            .createStreaming(
                MessageCreateParams.builder()
                    .model("claude-test-1")
                    .maxTokens(64)
                    .addUserMessage("hi")
                    .build())) {
      stream.stream().forEach(accumulator::accumulate);
    }
    Message message = accumulator.message();
    assertThat(message.content()).isNotEmpty();
    assertThat(message.content().get(0).text().orElseThrow().text()).isNotEmpty();
  }

  @Test
  void aResetStreamEndsItsExchangeAndLeavesTheConnectionToTheOthers() throws Exception {
    HttpResponse<byte[]> first = send(h2.messagesRequest("claude-test-1", false));
    assertThat(first.statusCode()).isEqualTo(200);
    int connections = h2.upstream().acceptedConnections();

    HttpResponse<byte[]> reset = send(h2.messagesRequest("claude-test-reset", true));

    assertThat(reset.statusCode()).isEqualTo(200);
    String text = new String(reset.body(), UTF_8);
    assertThat(text).contains("event: message_start");
    String tail = text.substring(text.lastIndexOf("event: "));
    assertThat(tail).startsWith("event: error\n").contains("upstream_unavailable");
    String id = reset.headers().firstValue("jitgw-exchange-id").orElseThrow();
    assertThat(AuditRecords.end(AuditRecords.ended(h2, id)).path("outcome").asText())
        .isEqualTo("error");

    // The reset closed one stream, not the connection.
    for (int i = 0; i < 4; i++) {
      assertThat(send(h2.messagesRequest("claude-test-1", false)).statusCode()).isEqualTo(200);
    }
    assertThat(h2.upstream().acceptedConnections()).isEqualTo(connections);
  }

  @Test
  void aConnectionThatDiesEndsEveryExchangeOnItWithAnErrorAndTheNextGetsANewOne() throws Exception {
    assertThat(send(h2.messagesRequest("claude-test-1", false)).statusCode()).isEqualTo(200);
    int connections = h2.upstream().acceptedConnections();
    try (Socket socket = new Socket("127.0.0.1", h2.port())) {
      socket.setSoTimeout(30_000);
      // A stream that stays open on the connection, read as fast as it comes.
      RawHttp.sendStreamingRequest(socket, "claude-test-endless", h2.token());
      InputStream in = socket.getInputStream();
      RawHttp.readUntil(in, "event: content_block_delta");

      HttpResponse<byte[]> dropped = send(h2.messagesRequest("claude-test-drop-connection", true));

      // The reset may overtake the stream's first bytes (then nothing was sent: 502) or not
      // (then the stream that started ends with an error event).
      String text = new String(dropped.body(), UTF_8);
      if (dropped.statusCode() == 200) {
        assertThat(text.substring(text.lastIndexOf("event: ")))
            .startsWith("event: error\n")
            .contains("upstream_unavailable");
      } else {
        assertThat(dropped.statusCode()).isEqualTo(502);
        assertThat(text).contains("upstream_unavailable");
      }
      String id = dropped.headers().firstValue("jitgw-exchange-id").orElseThrow();
      assertThat(AuditRecords.end(AuditRecords.ended(h2, id)).path("outcome").asText())
          .isEqualTo("error");
      // The other stream of the connection ends the same way.
      assertThat(tailThrough(in, "upstream_unavailable")).contains("event: error");
    }
    assertThat(send(h2.messagesRequest("claude-test-1", false)).statusCode()).isEqualTo(200);
    assertThat(h2.upstream().acceptedConnections()).isEqualTo(connections + 1);
  }

  @Test
  void aStreamTheUpstreamRefusedIsSentOnceMore() throws Exception {
    try (FakeClaudeUpstream upstream = FakeClaudeUpstream.http2(null);
        OwnGateway view = OwnGateway.start(upstream.url(), null)) {
      // The first stream of a new connection, with a body larger than the stream's window: the
      // refusal comes while the body waits to be sent, and fails that write first.
      assertRefusedThenSentAgain(view, upstream, "x".repeat(300_000));
      // A small body, written whole before the refusal closes the stream.
      assertRefusedThenSentAgain(view, upstream, "hi");
    }
  }

  @Test
  void aStreamSentAgainHasOnlyWhatIsLeftOfTheResponseTimeout() throws Exception {
    try (FakeClaudeUpstream upstream = FakeClaudeUpstream.http2(null);
        OwnGateway view =
            OwnGateway.start(
                upstream.url(),
                null,
                u -> u.withTimeouts(u.connectTimeout(), Duration.ofSeconds(3), u.idleTimeout()))) {
      // response_timeout is 3 s from the first send. The refusal comes at 1.5 s and the stream sent
      // again would answer 2.5 s after that, at 4 s: past the deadline, though within a timeout
      // started again at the resend (4.5 s).
      upstream.slowFirstByte(Duration.ofMillis(2500));
      upstream.refuseNextStream(Duration.ofMillis(1500));

      HttpResponse<byte[]> response = send(view.messages("claude-test-slow-first-byte"));

      assertThat(response.statusCode()).isEqualTo(504);
      assertThat(new String(response.body(), UTF_8)).contains("upstream.response_timeout");
      assertThat(upstream.refusedStreams()).isEqualTo(1);
      assertThat(upstream.requests()).hasSize(1); // the stream sent again reached the upstream
    }
  }

  @Test
  void aRequestWhoseTimeRanOutWhileANewConnectionOpenedIsNotSentAgain() throws Exception {
    try (FakeClaudeUpstream upstream = FakeClaudeUpstream.http2(null);
        OwnGateway view =
            OwnGateway.start(
                upstream.url(),
                null,
                u -> u.withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(3), null))) {
      assertThat(send(view.messages("claude-test-1")).statusCode()).isEqualTo(200);
      // response_timeout is 3 s. The stream is refused at 1.5 s with the connection going away,
      // and the new connection takes 2.5 s to be usable: by then the time is over.
      upstream.refuseNextStream(Duration.ofMillis(1500), true);
      upstream.delayNewConnections(Duration.ofMillis(2500));

      HttpResponse<byte[]> response = send(view.messages("claude-test-1"));

      assertThat(response.statusCode()).isEqualTo(504);
      assertThat(new String(response.body(), UTF_8)).contains("upstream.response_timeout");
      assertThat(upstream.refusedStreams()).isEqualTo(1);
      // A new connection was opened for the resend (two, if the second request came to the
      // gateway's other event loop).
      await().atMost(Duration.ofSeconds(20)).until(() -> upstream.acceptedConnections() >= 2);
      assertThat(upstream.requests()).hasSize(1); // the first request only: nothing sent again
    }
  }

  private static void assertRefusedThenSentAgain(
      OwnGateway view, FakeClaudeUpstream upstream, String content) throws Exception {
    int refused = upstream.refusedStreams();
    int before = upstream.requests().size();
    upstream.refuseNextStream();

    HttpResponse<byte[]> response =
        send(
            HttpRequest.newBuilder(view.messages("claude-test-1"), (name, value) -> true)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-test-1\",\"max_tokens\":16,\"messages\":"
                            + "[{\"role\":\"user\",\"content\":\""
                            + content
                            + "\"}]}"))
                .build());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(upstream.refusedStreams()).isEqualTo(refused + 1);
    assertThat(upstream.requests()).hasSize(before + 1);
  }

  @Test
  void aStalledCallerStallsItsStreamAndTheStreamMovesAgain() throws Exception {
    SlowReaderTest.assertStallsAndResumes(h2);
  }

  @Test
  void aStalledCallerDoesNotStallTheOtherStreamsOfItsConnection() throws Exception {
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(16 * 1024);
      socket.connect(new InetSocketAddress("127.0.0.1", h2.port()));
      socket.setSoTimeout(30_000);
      RawHttp.sendStreamingRequest(socket, "claude-test-endless", h2.token());
      socket.getInputStream().readNBytes(64 * 1024);
      AtomicLong previous = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  h2.upstream().endlessBytesWritten()
                      == previous.getAndSet(h2.upstream().endlessBytesWritten()));

      // The stalled stream holds its own window only: the connection's others still move.
      for (int i = 0; i < 3; i++) {
        assertThat(send(h2.messagesRequest("claude-test-1", i % 2 == 0)).statusCode())
            .isEqualTo(200);
      }
      assertThat(h2.upstream().openConnections()).isEqualTo(1);
    }
  }

  @Test
  void aResponseWithoutBodyIsRelayedOnceAndTheCallersConnectionGoesOn() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", h2.port())) {
      socket.setSoTimeout(10_000);
      String body = "{\"model\":\"claude-test-204\",\"max_tokens\":1}";
      for (int i = 0; i < 2; i++) {
        RawHttp.sendMessages(socket, body, h2.token());
        String response = RawHttp.readOneResponse(socket.getInputStream());
        assertThat(RawHttp.status(response)).isEqualTo(204);
        assertThat(response.toLowerCase(java.util.Locale.ROOT)).doesNotContain("x-http2");
      }
    }
  }

  @Test
  void anIdleConnectionIsClosedAfterThePoolIdleTimeout() throws Exception {
    try (FakeClaudeUpstream upstream = FakeClaudeUpstream.http2(null);
        OwnGateway view =
            OwnGateway.start(
                upstream.url(), null, u -> u.withPoolIdleTimeout(Duration.ofMillis(300)))) {
      assertThat(send(view.messages("claude-test-1")).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(20)).until(() -> upstream.openConnections() == 0);
      assertThat(send(view.messages("claude-test-1")).statusCode()).isEqualTo(200);
      assertThat(upstream.acceptedConnections()).isEqualTo(2);
    }
  }

  @Test
  void anIdleConnectionTheUpstreamSendsGoAwayOnIsClosedAtOnce() throws Exception {
    try (FakeClaudeUpstream upstream = FakeClaudeUpstream.http2(null);
        OwnGateway view =
            OwnGateway.start(
                upstream.url(), null, u -> u.withPoolIdleTimeout(Duration.ofHours(1)))) {
      assertThat(send(view.messages("claude-test-1")).statusCode()).isEqualTo(200);
      assertThat(upstream.openConnections()).isEqualTo(1);

      upstream.goAway();

      // Closed by the gateway (the upstream keeps it open), long before the pool idle timeout.
      await().atMost(Duration.ofSeconds(20)).until(() -> upstream.openConnections() == 0);
      assertThat(send(view.messages("claude-test-1")).statusCode()).isEqualTo(200);
      assertThat(upstream.acceptedConnections()).isEqualTo(2);
    }
  }

  @Test
  void anUpstreamThatAllowsNoStreamsIsUnreachableWithoutAStormOfConnections() throws Exception {
    try (FakeClaudeUpstream upstream = FakeClaudeUpstream.http2(null, 0);
        OwnGateway view = OwnGateway.start(upstream.url(), null)) {
      HttpResponse<byte[]> response = send(view.messages("claude-test-1"));

      assertThat(response.statusCode()).isEqualTo(502);
      assertThat(new String(response.body(), UTF_8)).contains("upstream_unavailable");
      assertThat(upstream.acceptedConnections()).isEqualTo(1);
      assertThat(upstream.requests()).isEmpty();
    }
  }

  @Test
  void streamsPastTheUpstreamsLimitGoOnAnotherConnection() throws Exception {
    try (FakeClaudeUpstream upstream = FakeClaudeUpstream.http2(null, 2);
        OwnGateway view =
            OwnGateway.start(
                upstream.url(),
                null,
                u -> u.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(3), null))) {
      List<CompletableFuture<HttpResponse<byte[]>>> sent = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        // Each holds its stream until the response timeout (3 s): six at once need three
        // connections at least, and none may be refused for want of room.
        sent.add(
            http.sendAsync(
                view.messages("claude-test-silent"), HttpResponse.BodyHandlers.ofByteArray()));
      }
      for (CompletableFuture<HttpResponse<byte[]>> response : sent) {
        assertThat(response.get().statusCode()).isEqualTo(504);
      }
      assertThat(upstream.requests()).hasSize(6);
      assertThat(upstream.acceptedConnections()).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  void anHttp11OnlyUpstreamIsUnreachable() throws Exception {
    try (FakeClaudeUpstream upstream = new FakeClaudeUpstream()) {
      assertThat(status(upstream.url(), null)).isEqualTo(502);
      // It read HTTP/2's connection preface as odd requests; nothing reached a route.
      assertThat(upstream.requests()).noneMatch(request -> request.uri().startsWith("/v1/"));
    }
  }

  @Test
  void overTlsAlpnAgreesOnHttp2() throws Exception {
    X509Bundle ca = TestCertificates.ca("jitgw test CA");
    try (FakeClaudeUpstream upstream =
        FakeClaudeUpstream.http2(serverContext(ca, ApplicationProtocolNames.HTTP_2))) {
      assertThat(status("https://127.0.0.1:" + upstream.port(), ca)).isEqualTo(200);
      assertThat(upstream.requests()).hasSize(1);
      assertThat(upstream.lastRequest().headers().get("x-api-key"))
          .isEqualTo(GatewayHarness.UPSTREAM_KEY);
    }
  }

  @Test
  void overTlsAnUpstreamThatDoesNotOfferHttp2IsUnreachableAndNothingIsSent() throws Exception {
    X509Bundle ca = TestCertificates.ca("jitgw test CA");
    try (FakeClaudeUpstream upstream =
        new FakeClaudeUpstream(serverContext(ca, ApplicationProtocolNames.HTTP_1_1))) {
      assertThat(status("https://127.0.0.1:" + upstream.port(), ca)).isEqualTo(502);
      assertThat(upstream.requests()).isEmpty();
    }
  }

  private static SslContext serverContext(X509Bundle ca, String protocol) throws Exception {
    return SslContextBuilder.forServer(TestCertificates.loopback(ca).toKeyManagerFactory())
        .applicationProtocolConfig(
            new ApplicationProtocolConfig(
                ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                protocol))
        .build();
  }

  /**
   * A gateway of its own with {@code protocol: h2} in front of {@code upstreamUrl} (trusting {@code
   * ca} when not null), with the identity provider its callers' tokens come from.
   */
  private record OwnGateway(GatewayServer gateway, TestIdentityProvider identity)
      implements AutoCloseable {
    static OwnGateway start(String upstreamUrl, X509Bundle ca) throws Exception {
      return start(upstreamUrl, ca, u -> u);
    }

    static OwnGateway start(
        String upstreamUrl,
        X509Bundle ca,
        java.util.function.UnaryOperator<UpstreamConfig> customizer)
        throws Exception {
      TestIdentityProvider identity = new TestIdentityProvider();
      try {
        GatewayConfig config =
            GatewayHarness.baseConfig(identity, upstreamUrl)
                .withShutdown(new ShutdownConfig(Duration.ofSeconds(1)));
        UpstreamConfig upstream = config.upstream().withProtocol(UpstreamConfig.H2);
        if (ca != null) {
          Path trust = ca.toTempRootCertPem().toPath();
          upstream = upstream.withCaFile(trust);
        }
        GatewayServer gateway =
            GatewayServer.builder(config.withUpstream(customizer.apply(upstream)))
                .environment(Map.of("ANTHROPIC_API_KEY", GatewayHarness.UPSTREAM_KEY))
                .start();
        return new OwnGateway(gateway, identity);
      } catch (Exception | Error e) {
        identity.close();
        throw e;
      }
    }

    String baseUrl() {
      return "http://127.0.0.1:" + gateway.dataPlaneAddress().getPort();
    }

    HttpRequest messages(String model) {
      return GatewayHarness.messagesRequest(baseUrl(), identity.token().sign(), model, false);
    }

    @Override
    public void close() throws Exception {
      try {
        gateway.close();
      } finally {
        identity.close();
      }
    }
  }

  /** The status of one request through a gateway of its own with {@code protocol: h2}. */
  private static int status(String upstreamUrl, X509Bundle ca) throws Exception {
    try (OwnGateway view = OwnGateway.start(upstreamUrl, ca)) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(view.baseUrl() + "/v1/models"))
                  .header("authorization", "Bearer " + view.identity().token().sign())
                  .timeout(Duration.ofSeconds(20))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 502) {
        assertThat(response.body()).contains("\"error_code\":\"upstream_unavailable\"");
      }
      return response.statusCode();
    }
  }
}
