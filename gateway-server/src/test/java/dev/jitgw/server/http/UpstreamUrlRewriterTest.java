package dev.jitgw.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UpstreamUrlRewriterTest {
  private final UpstreamUrlRewriter rewriter =
      new UpstreamUrlRewriter("https://api.anthropic.com/");

  @Test
  void rewritesThePrefixAndKeepsTheRest() {
    String body =
        "{\"results_url\":\"https://api.anthropic.com/v1/messages/batches/b1/results\",\"x\":1}";
    assertThat(rewriter.rewrite(body, "http://gw.internal:8080"))
        .isEqualTo(
            "{\"results_url\":\"http://gw.internal:8080/v1/messages/batches/b1/results\",\"x\":1}");
  }

  @Test
  void rewritesEscapedSlashes() {
    String body = "{\"results_url\":\"https:\\/\\/api.anthropic.com\\/v1\\/files\\/f1\"}";
    assertThat(rewriter.rewrite(body, "https://gw.example"))
        .isEqualTo("{\"results_url\":\"https:\\/\\/gw.example\\/v1\\/files\\/f1\"}");
  }

  @Test
  void leavesOtherHostsAndLookalikesAlone() {
    String body =
        "{\"a\":\"https://api.anthropic.com.evil.example/v1/x\",\"b\":\"https://example.com/v1/\"}";
    assertThat(rewriter.rewrite(body, "http://gw")).isEqualTo(body);
  }

  @Test
  void appliesToBatchJsonOnly() {
    assertThat(UpstreamUrlRewriter.appliesTo("GET", "/v1/messages/batches/b1", "application/json"))
        .isTrue();
    assertThat(
            UpstreamUrlRewriter.appliesTo(
                "GET", "/v1/messages/batches", "application/json; charset=utf-8"))
        .isTrue();
    assertThat(UpstreamUrlRewriter.appliesTo("POST", "/v1/messages", "application/json")).isFalse();
    assertThat(
            UpstreamUrlRewriter.appliesTo(
                "GET", "/v1/messages/batches/b1/results", "application/binary"))
        .isFalse();
  }
}
