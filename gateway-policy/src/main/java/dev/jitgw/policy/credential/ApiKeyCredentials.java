package dev.jitgw.policy.credential;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.credential.SecretRef;
import dev.jitgw.core.credential.UpstreamAuth;
import dev.jitgw.core.credential.UpstreamCredentials;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.Exchange;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A static upstream API key from a secret reference, sent as {@code x-api-key}.
 *
 * <p>The reference is resolved off the event loop: once at start and then on a schedule, so a
 * rotated {@code file:} secret is picked up without a restart and no request path ever touches the
 * file system.
 */
public final class ApiKeyCredentials implements UpstreamCredentials, AutoCloseable {
  private final SecretRef reference;
  private final ScheduledFuture<?> refresh;
  private volatile Optional<String> key;

  private ApiKeyCredentials(
      SecretRef reference, ScheduledExecutorService scheduler, Duration refreshEvery) {
    this.reference = requireNonNull(reference, "reference");
    this.key = reference.resolve();
    this.refresh =
        scheduler.scheduleWithFixedDelay(
            () -> key = reference.resolve(),
            refreshEvery.toMillis(),
            refreshEvery.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  /**
   * Resolves {@code reference} now and every {@code refreshEvery} on {@code scheduler} (a blocking
   * executor, never an event loop).
   */
  public static ApiKeyCredentials start(
      SecretRef reference, ScheduledExecutorService scheduler, Duration refreshEvery) {
    return new ApiKeyCredentials(reference, scheduler, refreshEvery);
  }

  /** Whether the reference currently resolves to a key. */
  public boolean isConfigured() {
    return key.isPresent();
  }

  @Override
  public CompletionStage<UpstreamAuth> credentialFor(Exchange exchange) {
    Optional<String> current = key;
    if (current.isPresent()) {
      return CompletableFuture.completedFuture(UpstreamAuth.apiKey(current.get()));
    }
    return CompletableFuture.failedFuture(
        new GatewayException(ErrorCode.UPSTREAM_CREDENTIAL_MISSING, missingMessage()));
  }

  private String missingMessage() {
    String ref = reference.reference();
    if (ref.startsWith("env:")) {
      return "The gateway has no upstream API key: set "
          + ref.substring(4)
          + " in the gateway's environment (callers never send it), or configure keyless"
          + " upstream federation.";
    }
    return "The gateway has no upstream API key: the secret reference upstream.api_key="
        + ref
        + " resolves to nothing.";
  }

  @Override
  public void close() {
    refresh.cancel(false);
  }
}
