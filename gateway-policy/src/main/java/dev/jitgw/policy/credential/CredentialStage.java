package dev.jitgw.policy.credential;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.credential.UpstreamCredentials;
import dev.jitgw.core.exchange.Exchange;
import dev.jitgw.core.stage.RequestStage;
import java.util.concurrent.CompletionStage;

/** Attaches the upstream credential to the exchange: the gateway's, never the caller's. */
public final class CredentialStage implements RequestStage {
  private final UpstreamCredentials credentials;

  public CredentialStage(UpstreamCredentials credentials) {
    this.credentials = requireNonNull(credentials, "credentials");
  }

  @Override
  public String name() {
    return "upstream-credential";
  }

  @Override
  public CompletionStage<Void> apply(Exchange exchange) {
    return credentials.credentialFor(exchange).thenAccept(exchange::upstreamAuth);
  }
}
