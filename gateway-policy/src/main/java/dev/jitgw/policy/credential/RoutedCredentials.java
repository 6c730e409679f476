package dev.jitgw.policy.credential;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.credential.UpstreamAuth;
import dev.jitgw.core.credential.UpstreamCredentials;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.Exchange;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Picks the upstream credential by the policy's decision: an allow rule with {@code route: NAME}
 * uses that route's credential (so each team's usage is billed to its own key or organization), any
 * other request the default one.
 */
public final class RoutedCredentials implements UpstreamCredentials {
  private final UpstreamCredentials fallback;
  private final Map<String, UpstreamCredentials> routes;

  public RoutedCredentials(UpstreamCredentials fallback, Map<String, UpstreamCredentials> routes) {
    this.fallback = requireNonNull(fallback, "fallback");
    this.routes = Map.copyOf(routes);
  }

  @Override
  public CompletionStage<UpstreamAuth> credentialFor(Exchange exchange) {
    Optional<String> route =
        exchange
            .decision()
            .filter(Decision.Allow.class::isInstance)
            .map(Decision.Allow.class::cast)
            .flatMap(Decision.Allow::route);
    if (route.isEmpty()) {
      return fallback.credentialFor(exchange);
    }
    UpstreamCredentials credentials = routes.get(route.get());
    if (credentials == null) {
      // Checked when the policy is loaded; a miss here means a reload raced: fail closed.
      return CompletableFuture.failedFuture(
          new GatewayException(
              ErrorCode.UPSTREAM_CREDENTIAL_MISSING,
              "The policy chose upstream route '" + route.get() + "', which is not configured."));
    }
    return credentials.credentialFor(exchange);
  }
}
