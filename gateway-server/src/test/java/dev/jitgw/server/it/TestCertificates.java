package dev.jitgw.server.it;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;

/** Certificates for TLS tests: a CA of their own, and server certificates it issues. */
final class TestCertificates {
  private TestCertificates() {}

  /** A self-signed CA named {@code name}. */
  static X509Bundle ca(String name) throws Exception {
    return new CertificateBuilder()
        .subject("CN=" + name)
        .setIsCertificateAuthority(true)
        .ecp256()
        .buildSelfSigned();
  }

  /** A server certificate for {@code 127.0.0.1}, issued by {@code ca}. */
  static X509Bundle loopback(X509Bundle ca) throws Exception {
    return new CertificateBuilder()
        .subject("CN=127.0.0.1")
        .addSanIpAddress("127.0.0.1")
        .addExtendedKeyUsageServerAuth()
        .ecp256()
        .buildIssuedBy(ca);
  }
}
