package dev.jitgw.policy.identity;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.exchange.Exchange;
import dev.jitgw.core.stage.RequestStage;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The first stage: no request goes further without a verified short-lived identity. It runs on the
 * request head, before the body is read.
 */
public final class AuthenticationStage implements RequestStage {
  private final TokenVerifier verifier;

  public AuthenticationStage(TokenVerifier verifier) {
    this.verifier = requireNonNull(verifier, "verifier");
  }

  @Override
  public String name() {
    return "authenticate";
  }

  @Override
  public CompletionStage<Void> apply(Exchange exchange) {
    Optional<String> token = CallerCredential.from(exchange.requestHeaders());
    if (token.isEmpty()) {
      return CompletableFuture.failedFuture(TokenRejected.missing());
    }
    return verifier.verify(token.get()).thenAccept(exchange::identity);
  }
}
