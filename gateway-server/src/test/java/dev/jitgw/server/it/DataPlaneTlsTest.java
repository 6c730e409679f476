package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.TlsConfig;
import dev.jitgw.policy.testing.TestIdentityProvider;
import dev.jitgw.server.GatewayServer;
import io.netty.pkitesting.X509Bundle;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data plane terminates TLS itself, and picks up a renewed certificate without a restart. */
class DataPlaneTlsTest {
  @TempDir Path dir;
  private TestIdentityProvider identityProvider;
  private FakeClaudeUpstream upstream;

  @BeforeEach
  void start() {
    identityProvider = new TestIdentityProvider();
    upstream = new FakeClaudeUpstream();
  }

  @AfterEach
  void stop() {
    upstream.close();
    identityProvider.close();
  }

  private void writeServerCertificate(X509Bundle ca, Path cert, Path key) throws Exception {
    X509Bundle leaf = TestCertificates.loopback(ca);
    Path tmpCert = Files.createTempFile(dir, "cert", ".pem");
    Path tmpKey = Files.createTempFile(dir, "key", ".pem");
    Files.writeString(tmpCert, leaf.getCertificatePathPEM());
    Files.writeString(tmpKey, leaf.getPrivateKeyPEM());
    Files.move(tmpKey, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmpCert, cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private int get(int port, X509Bundle trust) throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, trust.toTrustManagerFactory().getTrustManagers(), null);
    HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();
    return client
        .send(
            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/v1/models"))
                .header("authorization", "Bearer " + identityProvider.token().sign())
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  @Test
  void servesHttpsAndReloadsARenewedCertificate() throws Exception {
    X509Bundle firstCa = TestCertificates.ca("first CA");
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    writeServerCertificate(firstCa, cert, key);
    GatewayConfig config =
        GatewayHarness.baseConfig(identityProvider, upstream.url())
            .withTls(new TlsConfig(cert, key));
    try (GatewayServer gateway =
        GatewayServer.builder(config)
            .environment(Map.of("ANTHROPIC_API_KEY", GatewayHarness.UPSTREAM_KEY))
            .tlsCheckInterval(Duration.ofMillis(100))
            .start()) {
      int port = gateway.dataPlaneAddress().getPort();
      assertThat(get(port, firstCa)).isEqualTo(200);

      // Plain HTTP on the TLS port goes nowhere.
      int before = upstream.requests().size();
      assertThatThrownBy(
              () ->
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(
                                  URI.create("http://127.0.0.1:" + port + "/v1/models"))
                              .timeout(Duration.ofSeconds(10))
                              .build(),
                          HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(IOException.class);
      assertThat(upstream.requests()).hasSize(before);

      X509Bundle secondCa = TestCertificates.ca("second CA");
      writeServerCertificate(secondCa, cert, key);
      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(() -> get(port, secondCa) == 200);
      assertThatThrownBy(() -> get(port, firstCa)).isInstanceOf(IOException.class);
    }
  }

  @Test
  void unusableFilesStopStartUpNamingThem() throws Exception {
    Path cert = Files.writeString(dir.resolve("bad.crt"), "not a certificate");
    Path key = Files.writeString(dir.resolve("bad.key"), "not a key");
    GatewayConfig config =
        GatewayHarness.baseConfig(identityProvider, upstream.url())
            .withTls(new TlsConfig(cert, key));
    assertThatThrownBy(() -> GatewayServer.builder(config).environment(Map.of()).start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(cert.toString());
  }
}
