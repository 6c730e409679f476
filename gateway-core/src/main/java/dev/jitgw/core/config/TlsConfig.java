package dev.jitgw.core.config;

import java.nio.file.Path;

/**
 * TLS termination on the data plane. Both files or neither; they are re-read when they change (a
 * renewed certificate is picked up without a restart).
 *
 * @param certFile PEM certificate chain, leaf first
 * @param keyFile PEM private key (PKCS#8) of the leaf certificate
 */
public record TlsConfig(Path certFile, Path keyFile) {

  public TlsConfig {
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException(
          (certFile == null ? "cert_file" : "key_file")
              + ": missing (expected both cert_file and key_file, or neither)");
    }
  }

  public static TlsConfig none() {
    return new TlsConfig(null, null);
  }

  public boolean enabled() {
    return certFile != null;
  }
}
