package dev.jitgw.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.core.credential.UpstreamAuth;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyHeadersTest {
  private static final String AUTHORITY = "api.anthropic.com";
  private static final UpstreamAuth API_KEY = UpstreamAuth.apiKey("k");
  private static final String EXCHANGE_ID = "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1W";

  /** A typical SDK request: what must pass through alongside whatever a test adds. */
  private static HttpHeaders callerRequest() {
    return new DefaultHttpHeaders()
        .add("Host", "gateway.internal:8080")
        .add("Content-Type", "application/json")
        .add("anthropic-version", "2023-06-01")
        .add("User-Agent", "Anthropic/Python 0.40.0")
        .add("X-Stainless-Retry-Count", "0")
        .add("Content-Length", "123");
  }

  private static HttpHeaders up(HttpHeaders caller) {
    return ProxyHeaders.upstreamRequest(caller, AUTHORITY, API_KEY, 42);
  }

  private static List<String> names(HttpHeaders headers) {
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, String> header : headers) {
      names.add(header.getKey());
    }
    return names;
  }

  // --- upstream request -------------------------------------------------------------------

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          connection          | keep-alive
          Connection          | close
          keep-alive          | timeout=5, max=100
          proxy-connection    | keep-alive
          Proxy-Connection    | keep-alive
          te                  | trailers
          TE                  | trailers
          trailer             | x-checksum
          transfer-encoding   | chunked
          Transfer-Encoding   | chunked
          upgrade             | h2c
          proxy-authorization | Basic dXNlcjpwYXNz
          Proxy-Authorization | Basic dXNlcjpwYXNz
          """)
  void hopByHopHeadersAreNotSentUpstream(String name, String value) {
    HttpHeaders out = up(callerRequest().add(name, value));

    assertThat(out.contains(name)).isFalse();
    assertThat(out.get("anthropic-version")).isEqualTo("2023-06-01");
  }

  @Test
  void headersNamedInConnectionAreNotSentUpstream() {
    HttpHeaders caller =
        callerRequest()
            .add("Connection", "x-foo, X-Bar")
            .add("Connection", "x-baz")
            .add("x-foo", "1")
            .add("X-Bar", "2")
            .add("x-baz", "3")
            .add("x-kept", "4");

    HttpHeaders out = up(caller);

    assertThat(out.contains("connection")).isFalse();
    assertThat(out.contains("x-foo")).isFalse();
    assertThat(out.contains("x-bar")).isFalse();
    assertThat(out.contains("x-baz")).isFalse();
    assertThat(out.get("x-kept")).isEqualTo("4");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"x-foo", "X-FOO", "close ,  x-foo", "keep-alive, x-foo", "x-foo,close"})
  void connectionTokensMatchHeadersCaseInsensitively(String connection) {
    HttpHeaders out = up(callerRequest().add("Connection", connection).add("X-Foo", "secret"));

    assertThat(out.contains("x-foo")).isFalse();
  }

  @Test
  void theCallersCredentialsNeverReachTheUpstream() {
    HttpHeaders caller =
        callerRequest()
            .add("Authorization", "Bearer caller-jwt")
            .add("x-api-key", "caller-key")
            .add("X-Api-Key", "caller-key-2");

    HttpHeaders out = up(caller);

    assertThat(out.getAll("x-api-key")).containsExactly("k");
    assertThat(out.contains("authorization")).isFalse();
    assertThat(out.toString()).doesNotContain("caller-jwt").doesNotContain("caller-key");
  }

  @Test
  void hostExpectAndContentLengthAreReplaced() {
    HttpHeaders caller = callerRequest().add("Expect", "100-continue");

    HttpHeaders out = ProxyHeaders.upstreamRequest(caller, "proxy.internal:8443", API_KEY, 42);

    assertThat(out.getAll("host")).containsExactly("proxy.internal:8443");
    assertThat(out.getAll("content-length")).containsExactly("42");
    assertThat(out.contains("expect")).isFalse();
  }

  @Test
  void noContentLengthIsSentWhenTheLengthIsUnknown() {
    HttpHeaders out = ProxyHeaders.upstreamRequest(callerRequest(), AUTHORITY, API_KEY, -1);

    assertThat(out.contains("content-length")).isFalse();
    assertThat(out.get("host")).isEqualTo(AUTHORITY);
  }

  @Test
  void anEmptyBodyHasContentLengthZero() {
    HttpHeaders out = ProxyHeaders.upstreamRequest(callerRequest(), AUTHORITY, API_KEY, 0);

    assertThat(out.getAll("content-length")).containsExactly("0");
  }

  @Test
  void anApiKeyIsSentAsXApiKey() {
    HttpHeaders out = up(callerRequest());

    assertThat(out.getAll("x-api-key")).containsExactly("k");
    assertThat(out.contains("authorization")).isFalse();
  }

  @Test
  void aBearerTokenIsSentAsAuthorization() {
    HttpHeaders caller = callerRequest().add("x-api-key", "caller-key");

    HttpHeaders out =
        ProxyHeaders.upstreamRequest(caller, AUTHORITY, UpstreamAuth.bearer("tok"), 42);

    assertThat(out.getAll("authorization")).containsExactly("Bearer tok");
    assertThat(out.contains("x-api-key")).isFalse();
  }

  @Test
  void otherHeadersPassUnchangedIncludingRepeatedValues() {
    HttpHeaders caller =
        callerRequest()
            .add("X-Custom", "one")
            .add("x-custom", "two")
            .add("X-Custom", "three, with comma")
            .add("anthropic-dangerous-direct-browser-access", "true");

    HttpHeaders out = up(caller);

    assertThat(out.getAll("anthropic-version")).containsExactly("2023-06-01");
    assertThat(out.getAll("content-type")).containsExactly("application/json");
    assertThat(out.getAll("user-agent")).containsExactly("Anthropic/Python 0.40.0");
    assertThat(out.getAll("x-stainless-retry-count")).containsExactly("0");
    assertThat(out.getAll("x-custom")).containsExactly("one", "two", "three, with comma");
    assertThat(out.get("anthropic-dangerous-direct-browser-access")).isEqualTo("true");
  }

  @Test
  void exactlyTheExpectedHeadersGoUpstream() {
    HttpHeaders caller =
        callerRequest()
            .add("Connection", "keep-alive, x-hop")
            .add("x-hop", "1")
            .add("Transfer-Encoding", "chunked")
            .add("Authorization", "Bearer caller")
            .add("Expect", "100-continue");

    HttpHeaders out = up(caller);

    assertThat(names(out))
        .containsExactlyInAnyOrder(
            "content-type",
            "anthropic-version",
            "user-agent",
            "x-stainless-retry-count",
            "host",
            "content-length",
            "x-api-key");
  }

  @Test
  void theCallersHeadersAreNotModified() {
    HttpHeaders caller = callerRequest().add("Connection", "x-foo").add("x-foo", "1");
    int before = caller.size();

    up(caller);

    assertThat(caller.size()).isEqualTo(before);
    assertThat(caller.get("x-foo")).isEqualTo("1");
    assertThat(caller.get("Host")).isEqualTo("gateway.internal:8080");
  }

  // --- anthropic-beta ---------------------------------------------------------------------

  @Test
  void betaFlagsPassExceptOauthFlagsForAnApiKey() {
    HttpHeaders caller =
        callerRequest()
            .add("anthropic-beta", "oauth-2025-04-20, prompt-caching-2024-07-31")
            .add("Anthropic-Beta", "files-api-2025-04-14,OAuth-2099-01-01");

    HttpHeaders out = up(caller);

    assertThat(out.getAll("anthropic-beta"))
        .containsExactly("prompt-caching-2024-07-31,files-api-2025-04-14");
  }

  @Test
  void onlyOauthFlagsAndAnApiKeyMeansNoBetaHeader() {
    HttpHeaders out = up(callerRequest().add("anthropic-beta", "oauth-2025-04-20"));

    assertThat(out.contains("anthropic-beta")).isFalse();
  }

  @Test
  void noBetaHeaderStaysNoBetaHeaderForAnApiKey() {
    assertThat(up(callerRequest()).contains("anthropic-beta")).isFalse();
  }

  @Test
  void aBearerTokenAddsTheOauthFlag() {
    HttpHeaders caller =
        callerRequest().add("anthropic-beta", "oauth-2024-01-01,prompt-caching-2024-07-31");

    HttpHeaders out =
        ProxyHeaders.upstreamRequest(caller, AUTHORITY, UpstreamAuth.bearer("tok"), 42);

    assertThat(out.getAll("anthropic-beta"))
        .containsExactly("prompt-caching-2024-07-31,oauth-2025-04-20");
  }

  @Test
  void aBearerTokenAddsTheOauthFlagWithoutOtherFlags() {
    HttpHeaders out =
        ProxyHeaders.upstreamRequest(callerRequest(), AUTHORITY, UpstreamAuth.bearer("tok"), 42);

    assertThat(out.getAll("anthropic-beta")).containsExactly(ProxyHeaders.OAUTH_BETA);
    assertThat(ProxyHeaders.OAUTH_BETA).isEqualTo("oauth-2025-04-20");
  }

  @Test
  void repeatedAndEmptyBetaFlagsAreCollapsed() {
    HttpHeaders caller =
        callerRequest()
            .add("anthropic-beta", "a-1, ,a-1,,b-2")
            .add("anthropic-beta", "b-2")
            .add("anthropic-beta", "");

    assertThat(up(caller).getAll("anthropic-beta")).containsExactly("a-1,b-2");
  }

  // --- downstream response ----------------------------------------------------------------

  private static HttpHeaders upstreamResponse() {
    return new DefaultHttpHeaders()
        .add("Content-Type", "text/event-stream; charset=utf-8")
        .add("request-id", "req_011CPXqsM6NbT8Ni5B3Jw1Rq")
        .add("anthropic-ratelimit-requests-remaining", "49")
        .add("Set-Cookie", "a=1")
        .add("Set-Cookie", "b=2");
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          Connection          | keep-alive
          Keep-Alive          | timeout=5
          Proxy-Connection    | keep-alive
          Proxy-Authenticate  | Basic realm="upstream"
          TE                  | trailers
          Trailer             | x-checksum
          Transfer-Encoding   | chunked
          Upgrade             | h2c
          """)
  void hopByHopHeadersAreNotSentDownstream(String name, String value) {
    HttpHeaders out = ProxyHeaders.downstreamResponse(upstreamResponse().add(name, value), "ex_1");

    assertThat(out.contains(name)).isFalse();
    assertThat(out.get("request-id")).isEqualTo("req_011CPXqsM6NbT8Ni5B3Jw1Rq");
  }

  @Test
  void downstreamKeepsEndToEndHeadersAndAddsTheExchangeId() {
    HttpHeaders upstream =
        upstreamResponse()
            .add("Connection", "close, x-upstream-hop")
            .add("x-upstream-hop", "1")
            .add("Content-Length", "17");

    HttpHeaders out = ProxyHeaders.downstreamResponse(upstream, EXCHANGE_ID);

    assertThat(out.getAll("jitgw-exchange-id")).containsExactly(EXCHANGE_ID);
    assertThat(out.get(ProxyHeaders.EXCHANGE_ID)).isEqualTo(EXCHANGE_ID);
    assertThat(out.get("content-type")).isEqualTo("text/event-stream; charset=utf-8");
    assertThat(out.get("anthropic-ratelimit-requests-remaining")).isEqualTo("49");
    assertThat(out.getAll("set-cookie")).containsExactly("a=1", "b=2");
    assertThat(out.get("content-length")).isEqualTo("17");
    assertThat(out.contains("connection")).isFalse();
    assertThat(out.contains("x-upstream-hop")).isFalse();
  }

  @Test
  void anUpstreamExchangeIdIsReplaced() {
    HttpHeaders upstream = upstreamResponse().add("jitgw-exchange-id", "ex_spoofed");

    HttpHeaders out = ProxyHeaders.downstreamResponse(upstream, EXCHANGE_ID);

    assertThat(out.getAll("jitgw-exchange-id")).containsExactly(EXCHANGE_ID);
  }

  @Test
  void traceContextIsPassedUpstreamUnchanged() {
    HttpHeaders caller = callerRequest();
    caller.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    caller.set("tracestate", "vendor=opaque");
    HttpHeaders out = ProxyHeaders.upstreamRequest(caller, AUTHORITY, API_KEY, 42);
    assertThat(out.get("traceparent"))
        .isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assertThat(out.get("tracestate")).isEqualTo("vendor=opaque");
  }

  @Test
  void theAuditedHeadersLeaveOutCredentialsCookiesAndHopByHopAndJoinRepeats() {
    HttpHeaders caller = callerRequest();
    caller.set("authorization", "Bearer secret");
    caller.set("x-api-key", "sk-ant-secret");
    caller.set("cookie", "a=b");
    caller.set("connection", "keep-alive, x-hop");
    caller.set("x-hop", "1");
    caller.add("x-multi", "one");
    caller.add("x-multi", "two");
    var audited = ProxyHeaders.auditable(caller);
    assertThat(audited)
        .doesNotContainKeys("authorization", "x-api-key", "cookie", "connection", "x-hop")
        .containsEntry("x-multi", "one, two");
  }
}
