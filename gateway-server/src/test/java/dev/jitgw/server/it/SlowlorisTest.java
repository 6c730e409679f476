package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jitgw.core.config.HttpConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Slow senders (slowloris) hold a connection and a buffer each, so {@code
 * http.request_read_timeout} bounds the whole head and then the whole body, however the bytes
 * trickle in: a head that never ends is closed, a body that never ends gets 408 {@code
 * request_timeout} and is closed. Nothing reaches the upstream.
 */
class SlowlorisTest {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(1);

  /** Far beyond the read timeout: a connection still open by then was never cut. */
  private static final long GIVE_UP_NANOS = Duration.ofSeconds(20).toNanos();

  @RegisterExtension
  static final GatewayHarness harness =
      new GatewayHarness(
          config -> {
            HttpConfig http = config.http();
            return config.withHttp(
                new HttpConfig(
                    http.maxBodySize(),
                    http.maxHeaderSize(),
                    http.maxUriLength(),
                    READ_TIMEOUT,
                    http.workerThreads()));
          });

  /**
   * Writes {@code first}, then one {@code trickle} piece every 100 ms, until the gateway closes the
   * connection; returns what it answered. Fails if it is still open after 20 s.
   */
  private static String trickleUntilClosed(String first, String trickle) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", harness.port())) {
      socket.setSoTimeout(100);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      out.write(first.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      long start = System.nanoTime();
      while (System.nanoTime() - start < GIVE_UP_NANOS) {
        try {
          int n = in.read(buffer);
          if (n < 0) {
            return received.toString(StandardCharsets.ISO_8859_1);
          }
          received.write(buffer, 0, n);
        } catch (SocketTimeoutException stillOpen) {
          if (trickle != null) {
            try {
              out.write(trickle.getBytes(StandardCharsets.ISO_8859_1));
              out.flush();
            } catch (IOException closed) {
              return received.toString(StandardCharsets.ISO_8859_1);
            }
          }
        } catch (java.net.SocketException reset) {
          return received.toString(StandardCharsets.ISO_8859_1);
        }
      }
      throw new AssertionError(
          "the gateway kept a slow sender's connection open; received: "
              + received.toString(StandardCharsets.ISO_8859_1));
    }
  }

  private static void assertRequestTimeout(String response) throws IOException {
    assertThat(response).startsWith("HTTP/1.1 408 ");
    assertThat(response.toLowerCase()).contains("connection: close");
    String id = response.replaceAll("(?is).*jitgw-exchange-id: ([^\r]+)\r.*", "$1");
    JsonNode body =
        FakeClaudeUpstream.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
    assertThat(body.path("type").asText()).isEqualTo("error");
    assertThat(body.path("request_id").asText()).isEqualTo(id);
    assertThat(body.path("error").path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(body.path("error").path("details").path("error_code").asText())
        .isEqualTo("request_timeout");
    assertThat(body.path("error").path("message").asText()).contains("http.request_read_timeout");
  }

  @Test
  void aConnectionThatSendsNothingIsClosed() throws Exception {
    assertThat(trickleUntilClosed("", null)).isEmpty();
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void aHeadThatNeverEndsIsClosedWithoutForwarding() throws Exception {
    String response =
        trickleUntilClosed(
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\n" + harness.authorizationLine(),
            "X-Slow: 1\r\n");
    // Nothing was parsed as a request, so there is nothing to answer: the connection is closed.
    assertThat(response).isEmpty();
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void aRequestLineSentByteByByteIsClosedWithoutForwarding() throws Exception {
    String response = trickleUntilClosed("G", "E");
    assertThat(response).doesNotStartWith("HTTP/1.1 2");
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void aBodyThatTricklesIsAnswered408AndClosed() throws Exception {
    String response =
        trickleUntilClosed(
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                + harness.authorizationLine()
                + "Content-Length: 100000\r\n\r\n{\"model\":\"claude-test-1\",",
            " ");
    assertRequestTimeout(response);
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void aBodyThatStallsIsAnswered408AndClosed() throws Exception {
    String response =
        trickleUntilClosed(
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                + harness.authorizationLine()
                + "Content-Length: 64\r\n\r\n{\"model\":",
            null);
    assertRequestTimeout(response);
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void aChunkedBodyThatNeverEndsIsAnswered408AndClosed() throws Exception {
    String response =
        trickleUntilClosed(
            "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                + harness.authorizationLine()
                + "Transfer-Encoding: chunked\r\n\r\n9\r\n{\"model\":\r\n",
            "1\r\n \r\n");
    assertRequestTimeout(response);
    assertThat(harness.upstream().requests()).isEmpty();
  }
}
