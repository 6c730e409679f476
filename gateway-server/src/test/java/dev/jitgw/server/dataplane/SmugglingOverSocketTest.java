package dev.jitgw.server.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.server.it.GatewayHarness;
import dev.jitgw.server.it.RawHttp;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The smuggling table again, over a real socket to the running gateway: each row gets its 4xx in
 * the contract's shape, the connection is closed, and the upstream sees nothing.
 */
class SmugglingOverSocketTest {
  @RegisterExtension static final GatewayHarness harness = new GatewayHarness();

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.jitgw.server.dataplane.RequestFramingGuardTest#smuggling")
  void rejectedClosedAndNeverForwarded(String name, String request, ErrorCode expected)
      throws Exception {
    int before = harness.upstream().requests().size();
    // Authenticated, so that what is refused is the framing; a valid request pipelined behind
    // the bad one must not be forwarded either.
    int firstLineEnd = request.indexOf("\r\n");
    String authenticated =
        firstLineEnd < 0
            ? request
            : request.substring(0, firstLineEnd + 2)
                + harness.authorizationLine()
                + request.substring(firstLineEnd + 2);
    String response =
        RawHttp.sendAndReadUntilClose(
            harness.port(),
            authenticated
                + "GET /v1/models HTTP/1.1\r\nHost: a\r\n"
                + harness.authorizationLine()
                + "\r\n");
    assertThat(RawHttp.status(response)).as(name).isEqualTo(expected.status());
    assertThat(response).as(name).contains("\"error_code\":\"" + expected.code() + "\"");
    assertThat(response.toLowerCase()).as(name).contains("connection: close");
    assertThat(response.indexOf("HTTP/1.1", 1)).as(name + ": one response only").isEqualTo(-1);
    assertThat(harness.upstream().requests()).as(name).hasSize(before);
  }
}
