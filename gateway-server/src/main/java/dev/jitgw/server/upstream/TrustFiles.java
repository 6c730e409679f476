package dev.jitgw.server.upstream;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.UpstreamConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A JDK HTTP client for calls to the upstream outside the data plane (the keyless token exchange),
 * trusting the same CA file as the data plane's upstream connections. Host names are verified.
 */
public final class TrustFiles {
  private TrustFiles() {}

  public static HttpClient httpClient(Path caFile, UpstreamConfig upstream) {
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .connectTimeout(upstream.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER);
    if (caFile != null) {
      builder.sslContext(sslContext(caFile));
    }
    return builder.build();
  }

  static SSLContext sslContext(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, certificate);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("upstream.ca_file " + caFile + ": cannot be used: " + e, e);
    }
  }
}
