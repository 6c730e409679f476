package dev.jitgw.server.admin;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.identity.CallerCredential;
import dev.jitgw.policy.identity.TokenVerifier;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Admin routes take a JWT from a trusted issuer, verified like a data-plane caller's, whose groups
 * include one of {@code JITGW_ADMIN_GROUPS}. (The admin capability adds per-route rules, such as
 * approvers deciding approvals.)
 */
public final class AdminAuthorizer {
  private final TokenVerifier verifier;
  private final List<String> adminGroups;

  public AdminAuthorizer(TokenVerifier verifier, List<String> adminGroups) {
    this.verifier = requireNonNull(verifier, "verifier");
    this.adminGroups = List.copyOf(adminGroups);
  }

  /** The groups whose members are admins. */
  public List<String> adminGroups() {
    return adminGroups;
  }

  /**
   * Any verified caller's identity, whatever its groups (routes that decide per identity, such as
   * approvals), or a {@link GatewayException} (401).
   */
  public CompletionStage<Identity> verify(HttpHeaders headers) {
    Optional<String> token = CallerCredential.from(headers);
    if (token.isEmpty()) {
      return CompletableFuture.failedFuture(
          new GatewayException(
              ErrorCode.MISSING_CREDENTIAL,
              "No credential: admin routes need 'Authorization: Bearer <jwt>' from a trusted"
                  + " issuer."));
    }
    return verifier.verify(token.get());
  }

  /** The admin's identity, or a {@link GatewayException} (401 or 403). */
  public CompletionStage<Identity> authorize(HttpHeaders headers) {
    Optional<String> token = CallerCredential.from(headers);
    if (token.isEmpty()) {
      return CompletableFuture.failedFuture(
          new GatewayException(
              ErrorCode.MISSING_CREDENTIAL,
              "No credential: admin routes need 'Authorization: Bearer <jwt>' from a trusted"
                  + " issuer."));
    }
    return verifier
        .verify(token.get())
        .thenApply(
            identity -> {
              if (identity.groups().stream().noneMatch(adminGroups::contains)) {
                throw new GatewayException(
                    ErrorCode.FORBIDDEN,
                    "This route needs one of the admin groups " + adminGroups + ".");
              }
              return identity;
            });
  }
}
