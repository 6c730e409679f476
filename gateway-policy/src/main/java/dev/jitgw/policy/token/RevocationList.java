package dev.jitgw.policy.token;

import java.time.Instant;

/**
 * Gateway-issued tokens revoked by their {@code jti} before they expire. One embedded
 * implementation today; a shared store implements it when several nodes must agree.
 */
public interface RevocationList {

  boolean isRevoked(String tokenId);

  /** Revokes {@code tokenId} until {@code expiresAt} (after which the token is dead anyway). */
  void revoke(String tokenId, Instant expiresAt);
}
