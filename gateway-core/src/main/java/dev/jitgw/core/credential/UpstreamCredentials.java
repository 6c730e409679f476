package dev.jitgw.core.credential;

import dev.jitgw.core.exchange.Exchange;
import java.util.concurrent.CompletionStage;

/**
 * Where the upstream credential for an exchange comes from: a static key from a secret reference, a
 * short-lived token from the upstream's workload identity federation, or one of several routes
 * chosen by policy. Implementations live in gateway-policy.
 */
public interface UpstreamCredentials {

  /**
   * The credential for this exchange. Completes exceptionally with a {@link
   * dev.jitgw.core.error.GatewayException} ({@code upstream_credential_missing}) when none is
   * configured, so nothing reaches the upstream unauthenticated.
   */
  CompletionStage<UpstreamAuth> credentialFor(Exchange exchange);
}
