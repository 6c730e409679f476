package dev.jitgw.core.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One trusted token issuer.
 *
 * @param issuer the exact {@code iss} value; also the base of OIDC discovery ({@code
 *     {issuer}/.well-known/openid-configuration})
 * @param audience the required {@code aud} value
 * @param jwksUri use this JWKS URL instead of discovery
 * @param algorithms accepted signature algorithms; default every asymmetric one. HMAC and {@code
 *     none} are never accepted
 * @param groupsClaim dotted path of the claim that holds the caller's groups ({@code groups},
 *     {@code roles}, {@code realm_access.roles})
 * @param purposeClaim dotted path of the claim that states why the caller is calling
 * @param maxTokenLifetime longest accepted {@code exp - iat}: only short-lived tokens pass
 * @param clockSkew tolerance for {@code exp}, {@code nbf} and {@code iat}
 * @param allowedTypes accepted JOSE {@code typ} header values; empty accepts any
 * @param oneTimeTokens whether each {@code jti} may be used once only
 * @param uiClientId a public OIDC client of this issuer through which the admin UI signs users in
 *     (authorization code with PKCE); {@code null} offers no sign-in button for the issuer
 */
public record IssuerConfig(
    String issuer,
    String audience,
    URI jwksUri,
    List<String> algorithms,
    String groupsClaim,
    String purposeClaim,
    Duration maxTokenLifetime,
    Duration clockSkew,
    List<String> allowedTypes,
    Boolean oneTimeTokens,
    String uiClientId) {

  /** The asymmetric JWS algorithms (contract section 3). */
  public static final List<String> ASYMMETRIC =
      List.of(
          "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
          "Ed25519");

  private static final Set<String> KNOWN = Set.copyOf(ASYMMETRIC);

  public IssuerConfig {
    if (issuer == null || issuer.isBlank()) {
      throw new IllegalArgumentException("issuer: missing (expected the exact iss value)");
    }
    issuer = issuer.trim();
    audience = audience == null || audience.isBlank() ? "jitgw" : audience.trim();
    algorithms = algorithms == null || algorithms.isEmpty() ? ASYMMETRIC : List.copyOf(algorithms);
    for (String algorithm : algorithms) {
      if (algorithm.toUpperCase(Locale.ROOT).startsWith("HS")
          || algorithm.equalsIgnoreCase("none")) {
        throw new IllegalArgumentException(
            "algorithms: "
                + algorithm
                + " is refused (a shared secret or no signature cannot identify a caller)");
      }
      if (!KNOWN.contains(algorithm)) {
        throw new IllegalArgumentException(
            "algorithms: unknown '" + algorithm + "' (expected some of " + ASYMMETRIC + ")");
      }
    }
    groupsClaim = groupsClaim == null || groupsClaim.isBlank() ? "groups" : groupsClaim.trim();
    purposeClaim = purposeClaim == null || purposeClaim.isBlank() ? "purpose" : purposeClaim.trim();
    maxTokenLifetime =
        Durations.positive("max_token_lifetime", maxTokenLifetime, Duration.ofHours(1));
    clockSkew = clockSkew == null ? Duration.ofSeconds(30) : clockSkew;
    if (clockSkew.isNegative() || clockSkew.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException(
          "clock_skew: " + Durations.format(clockSkew) + " (expected: 0s to 5m)");
    }
    allowedTypes = allowedTypes == null ? List.of() : List.copyOf(allowedTypes);
    oneTimeTokens = oneTimeTokens != null && oneTimeTokens;
    uiClientId = uiClientId == null || uiClientId.isBlank() ? null : uiClientId.trim();
    if (uiClientId != null && !uiClientId.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
      throw new IllegalArgumentException(
          "ui_client_id: '" + uiClientId + "' (expected a client id of printable ASCII)");
    }
    if (jwksUri != null
        && !("https".equalsIgnoreCase(jwksUri.getScheme())
            || "http".equalsIgnoreCase(jwksUri.getScheme()))) {
      throw new IllegalArgumentException(
          "jwks_uri: '" + jwksUri + "' (expected an http:// or https:// URL)");
    }
  }

  public static IssuerConfig of(String issuer) {
    return new IssuerConfig(issuer, null, null, null, null, null, null, null, null, null, null);
  }

  public IssuerConfig withJwksUri(URI jwksUri) {
    return new IssuerConfig(
        issuer,
        audience,
        jwksUri,
        algorithms,
        groupsClaim,
        purposeClaim,
        maxTokenLifetime,
        clockSkew,
        allowedTypes,
        oneTimeTokens,
        uiClientId);
  }

  public IssuerConfig withAudience(String audience) {
    return new IssuerConfig(
        issuer,
        audience,
        jwksUri,
        algorithms,
        groupsClaim,
        purposeClaim,
        maxTokenLifetime,
        clockSkew,
        allowedTypes,
        oneTimeTokens,
        uiClientId);
  }

  public IssuerConfig withClaims(String groupsClaim, String purposeClaim) {
    return new IssuerConfig(
        issuer,
        audience,
        jwksUri,
        algorithms,
        groupsClaim,
        purposeClaim,
        maxTokenLifetime,
        clockSkew,
        allowedTypes,
        oneTimeTokens,
        uiClientId);
  }

  public IssuerConfig withTokenRules(
      Duration maxTokenLifetime, List<String> allowedTypes, boolean oneTimeTokens) {
    return new IssuerConfig(
        issuer,
        audience,
        jwksUri,
        algorithms,
        groupsClaim,
        purposeClaim,
        maxTokenLifetime,
        clockSkew,
        allowedTypes,
        oneTimeTokens,
        uiClientId);
  }

  public IssuerConfig withUiClientId(String uiClientId) {
    return new IssuerConfig(
        issuer,
        audience,
        jwksUri,
        algorithms,
        groupsClaim,
        purposeClaim,
        maxTokenLifetime,
        clockSkew,
        allowedTypes,
        oneTimeTokens,
        uiClientId);
  }
}
