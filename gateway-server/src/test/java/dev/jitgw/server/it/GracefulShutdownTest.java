package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.ShutdownConfig;
import dev.jitgw.policy.testing.TestIdentityProvider;
import dev.jitgw.server.GatewayServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Shutdown stops accepting at once, lets in-flight exchanges finish within the drain deadline, and
 * cuts the ones that outlive it.
 */
class GracefulShutdownTest {
  private FakeClaudeUpstream upstream;
  private TestIdentityProvider identityProvider;

  @BeforeEach
  void upstream() {
    upstream = new FakeClaudeUpstream();
    identityProvider = new TestIdentityProvider();
  }

  @AfterEach
  void stop() {
    upstream.close();
    identityProvider.close();
  }

  private GatewayServer start(Duration drain) {
    GatewayConfig config =
        GatewayHarness.baseConfig(identityProvider, upstream.url())
            .withShutdown(new ShutdownConfig(drain));
    return GatewayServer.builder(config)
        .environment(Map.of("ANTHROPIC_API_KEY", GatewayHarness.UPSTREAM_KEY))
        .start();
  }

  private Socket openStream(int port, String model) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(20_000);
    RawHttp.sendStreamingRequest(socket, model, identityProvider.token().sign());
    return socket;
  }

  @Test
  void inFlightExchangeCompletesWhileNewConnectionsAreRefused() throws Exception {
    GatewayServer gateway = start(Duration.ofSeconds(20));
    int port = gateway.dataPlaneAddress().getPort();
    // An exchange held open: an endless stream, read a bounded amount, then closed by us.
    try (Socket idle = new Socket("127.0.0.1", port);
        Socket streaming = openStream(port, "claude-test-endless")) {
      InputStream in = streaming.getInputStream();
      assertThat(new String(in.readNBytes(256), StandardCharsets.ISO_8859_1))
          .startsWith("HTTP/1.1 200");
      await().until(() -> gateway.activeExchanges() == 1);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(gateway::close);
      // The idle keep-alive connection is closed by the drain...
      idle.setSoTimeout(20_000);
      assertThat(idle.getInputStream().read()).isEqualTo(-1);
      // ...new connections are refused...
      assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
          .isInstanceOf(ConnectException.class);
      // ...while the in-flight stream still flows.
      assertThat(in.readNBytes(64 * 1024)).hasSize(64 * 1024);
      assertThat(closing).isNotDone();
      streaming.close();
      closing.get();
    }
    assertThat(gateway.activeExchanges()).isZero();
    assertThat(gateway.terminationFuture()).isDone();
  }

  @Test
  void exchangesOutlivingTheDeadlineAreCut() throws Exception {
    GatewayServer gateway = start(Duration.ofMillis(300));
    int port = gateway.dataPlaneAddress().getPort();
    try (Socket streaming = openStream(port, "claude-test-endless")) {
      InputStream in = streaming.getInputStream();
      assertThat(new String(in.readNBytes(256), StandardCharsets.ISO_8859_1))
          .startsWith("HTTP/1.1 200");
      gateway.close();
      // The connection ends: reading runs to end of stream (or a reset) well within the timeout.
      byte[] buffer = new byte[64 * 1024];
      try {
        while (in.read(buffer) != -1) {
          // drain what was in flight
        }
      } catch (java.net.SocketException reset) {
        // also an end
      }
    }
    assertThat(gateway.terminationFuture()).isDone();
  }
}
