package dev.jitgw.server.tls;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.FileStamp;
import dev.jitgw.core.config.TlsConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane's server TLS context, rebuilt when the certificate or key file changes. Files are
 * checked on a blocking executor; new connections get the newest context, established ones keep
 * theirs. A file that cannot be used at start stops start-up; at a reload it is logged and the
 * previous context stays in force.
 */
public final class ReloadingServerTls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReloadingServerTls.class);

  private final TlsConfig config;
  private final ScheduledFuture<?> watch;
  private volatile SslContext current;
  private volatile String fingerprint;

  private ReloadingServerTls(
      TlsConfig config, ScheduledExecutorService blocking, Duration checkEvery) {
    this.config = requireNonNull(config, "config");
    this.fingerprint = fingerprint();
    this.current = build();
    this.watch =
        blocking.scheduleWithFixedDelay(
            this::reloadIfChanged,
            checkEvery.toMillis(),
            checkEvery.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  /** Loads the files now (failing start-up if they cannot be used) and watches them. */
  public static ReloadingServerTls start(
      TlsConfig config, ScheduledExecutorService blocking, Duration checkEvery) {
    return new ReloadingServerTls(config, blocking, checkEvery);
  }

  public SslContext current() {
    return current;
  }

  private void reloadIfChanged() {
    String now = fingerprint();
    if (now.equals(fingerprint)) {
      return;
    }
    try {
      current = build();
      fingerprint = now;
      log.info("data-plane TLS certificate reloaded from {}", config.certFile());
    } catch (ConfigException e) {
      log.warn(
          "data-plane TLS reload refused, keeping the previous certificate: {}", e.getMessage());
      fingerprint = now;
    }
  }

  private SslContext build() {
    try {
      return SslContextBuilder.forServer(config.certFile().toFile(), config.keyFile().toFile())
          .build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new ConfigException(
          "tls: cannot use cert_file "
              + config.certFile()
              + " with key_file "
              + config.keyFile()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private String fingerprint() {
    return FileStamp.of(config.certFile()) + "|" + FileStamp.of(config.keyFile());
  }

  @Override
  public void close() {
    watch.cancel(false);
  }
}
