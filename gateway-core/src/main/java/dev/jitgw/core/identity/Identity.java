package dev.jitgw.core.identity;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A verified caller: who they are according to a trusted issuer, as offered to policy, audit and
 * limits (contract section 3).
 *
 * @param subject the token's {@code sub}
 * @param issuer the token's {@code iss}, a configured trusted issuer
 * @param groups from the issuer's configured groups claim path (e.g. {@code realm_access.roles})
 * @param purpose from the configured purpose claim, if the token has one
 * @param claims every claim of the token, as parsed JSON values
 * @param expiresAt the token's {@code exp}
 * @param tokenId the token's {@code jti}, if any
 */
public record Identity(
    String subject,
    String issuer,
    List<String> groups,
    Optional<String> purpose,
    Map<String, Object> claims,
    Instant expiresAt,
    Optional<String> tokenId) {

  public Identity {
    requireNonNull(subject, "subject");
    requireNonNull(issuer, "issuer");
    groups = List.copyOf(groups);
    requireNonNull(purpose, "purpose");
    claims = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(claims));
    requireNonNull(expiresAt, "expiresAt");
    requireNonNull(tokenId, "tokenId");
  }

  /** For logs: the subject and issuer, never the token. */
  @Override
  public String toString() {
    return "Identity{" + subject + " from " + issuer + ", groups=" + groups + '}';
  }
}
