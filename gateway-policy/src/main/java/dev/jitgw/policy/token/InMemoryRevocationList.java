package dev.jitgw.policy.token;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Revocations held in memory until the revoked tokens would have expired. Gateway tokens live at
 * most an hour, so a restart that forgets a revocation is bounded by that; persistence in the data
 * directory comes with the admin API that revokes.
 */
public final class InMemoryRevocationList implements RevocationList {
  private final ConcurrentHashMap<String, Instant> revoked = new ConcurrentHashMap<>();
  private final Clock clock;

  public InMemoryRevocationList(Clock clock) {
    this.clock = clock;
  }

  @Override
  public boolean isRevoked(String tokenId) {
    Instant until = revoked.get(tokenId);
    if (until == null) {
      return false;
    }
    if (clock.instant().isAfter(until)) {
      revoked.remove(tokenId, until);
      return false;
    }
    return true;
  }

  /** Kept past the expiry by the longest clock skew a verifier allows, so no grace remains. */
  private static final java.time.Duration MAX_SKEW = java.time.Duration.ofMinutes(5);

  @Override
  public void revoke(String tokenId, Instant expiresAt) {
    revoked.put(tokenId, expiresAt.plus(MAX_SKEW));
  }
}
