package dev.jitgw.policy.token;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.rules.Policy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Signs the gateway's own short-lived access tokens: the caller's verified identity (its claims, so
 * policy sees {@code repository}, {@code ref}, ...) plus the federation profile's groups, for at
 * most the profile's lifetime, with a fresh {@code jti} so it can be revoked.
 */
public final class GatewayTokenIssuer {
  /** Registered claims the gateway sets itself; the caller's values are not carried over. */
  private static final Set<String> REGISTERED =
      Set.of("iss", "sub", "aud", "exp", "nbf", "iat", "jti");

  private final String issuer;
  private final String audience;
  private final SigningKeyStore keys;

  public GatewayTokenIssuer(String issuer, String audience, SigningKeyStore keys) {
    this.issuer = requireNonNull(issuer, "issuer");
    this.audience = requireNonNull(audience, "audience");
    this.keys = requireNonNull(keys, "keys");
  }

  public String issuer() {
    return issuer;
  }

  /** A signed token and its lifetime. */
  public record Issued(String token, Duration lifetime, String tokenId) {}

  public Issued issue(Identity identity, Policy.FederationProfile profile, Instant now) {
    Duration lifetime = profile.tokenLifetime();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder();
    for (Map.Entry<String, Object> claim : identity.claims().entrySet()) {
      if (!REGISTERED.contains(claim.getKey())) {
        claims.claim(claim.getKey(), claim.getValue());
      }
    }
    Set<String> groups = new LinkedHashSet<>(identity.groups());
    groups.addAll(profile.groups());
    String tokenId = UUID.randomUUID().toString();
    claims
        .issuer(issuer)
        .subject(identity.subject())
        .audience(audience)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(lifetime)))
        .jwtID(tokenId)
        .claim("groups", new ArrayList<>(groups))
        .claim("source_iss", identity.issuer())
        .claim("federation_rule_id", profile.id());
    identity.purpose().ifPresent(purpose -> claims.claim("purpose", purpose));
    RSAKey key = keys.signingKey();
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS256)
                  .keyID(key.getKeyID())
                  .type(new JOSEObjectType("at+jwt"))
                  .build(),
              claims.build());
      jwt.sign(new RSASSASigner(key));
      return new Issued(jwt.serialize(), lifetime, tokenId);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a gateway token", e);
    }
  }
}
