package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.ShutdownConfig;
import dev.jitgw.policy.testing.TestIdentityProvider;
import dev.jitgw.server.GatewayServer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An https upstream: the gateway verifies the certificate chain and the host name (no way to turn
 * either off), and sends nothing over a connection that fails verification.
 */
class TlsUpstreamTest {
  private static X509Bundle ca;
  private static Path caFile;
  private static FakeClaudeUpstream trustedUpstream;
  private static FakeClaudeUpstream wrongNameUpstream;
  private static FakeClaudeUpstream namedUpstream;
  private static TestIdentityProvider identityProvider;

  @BeforeAll
  static void upstreams() throws Exception {
    identityProvider = new TestIdentityProvider();
    ca = TestCertificates.ca("jitgw test CA");
    caFile = ca.toTempRootCertPem().toPath();
    X509Bundle ipCert = TestCertificates.loopback(ca);
    X509Bundle otherName =
        new CertificateBuilder()
            .subject("CN=other.example")
            .addSanDnsName("other.example")
            .addExtendedKeyUsageServerAuth()
            .ecp256()
            .buildIssuedBy(ca);
    X509Bundle localhost =
        new CertificateBuilder()
            .subject("CN=upstream.jitgw.test")
            .addSanDnsName("upstream.jitgw.test")
            .addExtendedKeyUsageServerAuth()
            .ecp256()
            .buildIssuedBy(ca);
    namedUpstream = new FakeClaudeUpstream(serverContext(localhost));
    trustedUpstream = new FakeClaudeUpstream(serverContext(ipCert));
    wrongNameUpstream = new FakeClaudeUpstream(serverContext(otherName));
  }

  @AfterAll
  static void stop() {
    trustedUpstream.close();
    wrongNameUpstream.close();
    namedUpstream.close();
    identityProvider.close();
  }

  private static SslContext serverContext(X509Bundle bundle) throws Exception {
    return SslContextBuilder.forServer(bundle.toKeyManagerFactory()).build();
  }

  private static int status(FakeClaudeUpstream upstream, Path trust) throws Exception {
    return status(upstream, "127.0.0.1", trust);
  }

  private static int status(FakeClaudeUpstream upstream, String host, Path trust) throws Exception {
    GatewayConfig config =
        GatewayHarness.baseConfig(identityProvider, "https://" + host + ":" + upstream.port())
            .withShutdown(new ShutdownConfig(Duration.ofSeconds(1)));
    config =
        config.withUpstream(
            config
                .upstream()
                .withUrl(URI.create("https://" + host + ":" + upstream.port()))
                .withCaFile(trust));
    try (GatewayServer gateway =
        GatewayServer.builder(config)
            .environment(Map.of("ANTHROPIC_API_KEY", GatewayHarness.UPSTREAM_KEY))
            .start()) {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + gateway.dataPlaneAddress().getPort()
                                  + "/v1/models"))
                      .header("authorization", "Bearer " + identityProvider.token().sign())
                      .timeout(Duration.ofSeconds(20))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 502) {
        assertThat(response.body()).contains("\"error_code\":\"upstream_unavailable\"");
      }
      return response.statusCode();
    }
  }

  @Test
  void trustedCertificateForTheHostWorks() throws Exception {
    assertThat(status(trustedUpstream, caFile)).isEqualTo(200);
    assertThat(trustedUpstream.lastRequest().headers().get("x-api-key"))
        .isEqualTo(GatewayHarness.UPSTREAM_KEY);
  }

  @Test
  void hostNameIsSentAsServerNameIndication() throws Exception {
    assertThat(status(namedUpstream, "upstream.jitgw.test", caFile)).isEqualTo(200);
    assertThat(namedUpstream.sniNames()).contains("upstream.jitgw.test");
  }

  @Test
  void untrustedCertificateIsRefusedAndNothingIsSent() throws Exception {
    int before = trustedUpstream.requests().size();
    assertThat(status(trustedUpstream, null)).isEqualTo(502);
    assertThat(trustedUpstream.requests()).hasSize(before);
  }

  @Test
  void certificateForAnotherHostIsRefusedAndNothingIsSent() throws Exception {
    assertThat(status(wrongNameUpstream, caFile)).isEqualTo(502);
    assertThat(wrongNameUpstream.requests()).isEmpty();
  }
}
