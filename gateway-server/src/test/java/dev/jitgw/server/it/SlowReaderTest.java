package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A caller that stops reading a stream must stop the upstream too: the gateway reads from the
 * upstream only as fast as the caller takes the bytes, so it never buffers a long stream.
 *
 * <p>The upstream writes an endless SSE stream as fast as its socket accepts. While the caller does
 * not read, what the upstream managed to write must level off at what the socket buffers and the
 * gateway's bounded write queue hold (a few MiB at most on loopback), far below the hundreds of MiB
 * an unbounded relay would have pulled in the same time. When the caller reads again, the stream
 * moves again.
 */
class SlowReaderTest {
  @RegisterExtension static final GatewayHarness harness = new GatewayHarness();

  /** Kernel socket buffers on both legs may reach 32 MiB (tcp_rmem) plus 4 MiB (tcp_wmem) each. */
  private static final long BOUND = 96L * 1024 * 1024;

  @Test
  void aStalledCallerStallsTheUpstream() throws Exception {
    assertStallsAndResumes(harness);
  }

  /** A caller that stops reading stalls the upstream of its stream; reading again moves it. */
  static void assertStallsAndResumes(GatewayHarness harness) throws Exception {
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(16 * 1024);
      socket.connect(new InetSocketAddress("127.0.0.1", harness.port()));
      socket.setSoTimeout(30_000);
      RawHttp.sendStreamingRequest(socket, "claude-test-endless", harness.token());
      InputStream in = socket.getInputStream();
      byte[] first = in.readNBytes(64 * 1024);
      assertThat(new String(first, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");

      // Stop reading. The upstream's output must level off: unchanged over consecutive samples.
      AtomicLong previous = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                long now = harness.upstream().endlessBytesWritten();
                assertThat(now)
                    .as("bytes the upstream wrote while the caller stalled")
                    .isLessThan(BOUND);
                return now == previous.getAndSet(now);
              });
      long stalledAt = harness.upstream().endlessBytesWritten();
      assertThat(stalledAt).isLessThan(BOUND);

      // Reading again resumes the stream: the upstream writes well past where it stopped.
      long target = stalledAt + 8L * 1024 * 1024;
      byte[] buffer = new byte[64 * 1024];
      while (harness.upstream().endlessBytesWritten() < target) {
        assertThat(in.read(buffer)).isPositive();
      }
      assertThat(harness.upstream().endlessBytesWritten()).isGreaterThan(stalledAt);
    }
  }
}
