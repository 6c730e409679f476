package dev.jitgw.policy.identity;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.identity.Identity;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies tokens of one trusted issuer: its own keys (OIDC discovery or an explicit JWKS URL,
 * cached by nimbus' {@code JWKSourceBuilder} with refresh-ahead, a rate-limited refetch on an
 * unknown {@code kid} and outage tolerance), its algorithms, audience and lifetime rules.
 *
 * <p>{@link #verify} may block on a key fetch: call it on a blocking executor, never an event loop.
 * Keys come only from the issuer's JWKS, never from the token ({@code jku}, {@code x5u}, {@code
 * jwk} and {@code x5c} headers are ignored: the key selector matches the token's {@code kid} and
 * {@code alg} against the issuer's key set alone).
 */
final class IssuerVerifier {
  private static final Logger log = LoggerFactory.getLogger(IssuerVerifier.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How long after a failed discovery the next request may try again. */
  private static final Duration DISCOVERY_RETRY = Duration.ofSeconds(5);

  private final IssuerConfig config;
  private final ResourceRetriever retriever;
  private final Clock clock;
  private final Set<JWSAlgorithm> algorithms;
  private final Cache<String, Instant> usedTokenIds;
  private final JWKSource<SecurityContext> localKeys;
  private final JwksFetchListener fetches;
  private volatile DefaultJWTProcessor<SecurityContext> processor;
  private volatile Instant lastDiscoveryFailure;

  /** Set once a signature verified with this issuer's keys. */
  private volatile boolean keysEverWorked;

  IssuerVerifier(IssuerConfig config, ResourceRetriever retriever, Clock clock) {
    this(config, retriever, clock, null, JwksFetchListener.NONE);
  }

  /**
   * @param localKeys keys held by the gateway itself (its own token issuer); no discovery, no
   *     network
   */
  IssuerVerifier(
      IssuerConfig config,
      ResourceRetriever retriever,
      Clock clock,
      JWKSource<SecurityContext> localKeys,
      JwksFetchListener fetches) {
    this.localKeys = localKeys;
    this.fetches = requireNonNull(fetches, "fetches");
    this.config = requireNonNull(config, "config");
    this.retriever = requireNonNull(retriever, "retriever");
    this.clock = requireNonNull(clock, "clock");
    this.algorithms =
        config.algorithms().stream().map(JWSAlgorithm::parse).collect(Collectors.toSet());
    this.usedTokenIds =
        Caffeine.newBuilder()
            .expireAfter(
                new Expiry<String, Instant>() {
                  @Override
                  public long expireAfterCreate(String key, Instant expiresAt, long now) {
                    Duration left =
                        Duration.between(clock.instant(), expiresAt).plus(config.clockSkew());
                    return Math.max(0, left.toNanos());
                  }

                  @Override
                  public long expireAfterUpdate(
                      String key, Instant value, long now, long currentDuration) {
                    return currentDuration;
                  }

                  @Override
                  public long expireAfterRead(
                      String key, Instant value, long now, long currentDuration) {
                    return currentDuration;
                  }
                })
            .maximumSize(1_000_000)
            .build();
  }

  IssuerConfig config() {
    return config;
  }

  /** Verifies signature and claims; blocking (key fetches). */
  Identity verify(SignedJWT jwt) {
    DefaultJWTProcessor<SecurityContext> current = processor();
    JWTClaimsSet claims;
    try {
      claims = current.process(jwt, null);
    } catch (RateLimitReachedException e) {
      // The refetches this interval allows are used up. If keys of this issuer ever verified a
      // token, an unknown kid is the token's problem (and a kid flood must not become a request
      // flood at the issuer); if none ever did, the issuer is unreachable: fail closed with 503.
      if (!keysEverWorked) {
        throw TokenRejected.unavailable(config.issuer());
      }
      throw TokenRejected.invalid("no key of the issuer matches its key id (kid).");
    } catch (KeySourceException e) {
      log.warn("keys of issuer {} unavailable: {}", config.issuer(), e.toString());
      throw TokenRejected.unavailable(config.issuer());
    } catch (BadJOSEException e) {
      throw TokenRejected.invalid(reason(e));
    } catch (JOSEException e) {
      throw TokenRejected.invalid("its signature could not be verified.");
    }
    keysEverWorked = true;
    return checkClaims(claims);
  }

  private static String reason(BadJOSEException e) {
    String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (message.contains("type")) {
      return "its type (typ header) is not accepted for this issuer.";
    }
    if (message.contains("algorithm") || message.contains("matching key")) {
      return "its algorithm is not accepted or no key of the issuer matches it (kid, alg).";
    }
    return "its signature is invalid.";
  }

  private Identity checkClaims(JWTClaimsSet claims) {
    Instant now = clock.instant();
    Duration skew = config.clockSkew();
    if (!config.issuer().equals(claims.getIssuer())) {
      throw TokenRejected.invalid("its issuer does not match.");
    }
    List<String> audience = claims.getAudience();
    if (audience == null || !audience.contains(config.audience())) {
      throw TokenRejected.invalid(
          "its audience (aud) does not include '" + config.audience() + "'.");
    }
    String subject = claims.getSubject();
    if (subject == null || subject.isBlank()) {
      throw TokenRejected.invalid("it has no subject (sub).");
    }
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw TokenRejected.invalid("it has no expiry (exp); only short-lived tokens are accepted.");
    }
    Instant expiresAt = exp.toInstant();
    if (now.isAfter(expiresAt.plus(skew))) {
      throw new GatewayException(
          ErrorCode.TOKEN_EXPIRED,
          "The token expired at " + expiresAt + "; get a new one from your identity provider.");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(skew).isBefore(nbf.toInstant())) {
      throw new GatewayException(
          ErrorCode.TOKEN_NOT_YET_VALID,
          "The token is not valid before " + nbf.toInstant() + "; check the clocks.");
    }
    Date iat = claims.getIssueTime();
    if (iat != null && now.plus(skew).isBefore(iat.toInstant())) {
      throw new GatewayException(
          ErrorCode.TOKEN_NOT_YET_VALID,
          "The token was issued in the future (" + iat.toInstant() + "); check the clocks.");
    }
    // Without iat, the remaining lifetime must be short instead.
    Instant issuedAt = iat != null ? iat.toInstant() : now;
    Duration lifetime = Duration.between(issuedAt, expiresAt);
    if (lifetime.compareTo(config.maxTokenLifetime()) > 0) {
      throw new GatewayException(
          ErrorCode.TOKEN_LIFETIME_TOO_LONG,
          "The token lives "
              + lifetime.toMinutes()
              + " minutes, longer than the "
              + config.maxTokenLifetime().toMinutes()
              + " minutes this gateway accepts from '"
              + config.issuer()
              + "'; use a short-lived token.");
    }
    String tokenId = claims.getJWTID();
    if (config.oneTimeTokens()) {
      if (tokenId == null) {
        throw TokenRejected.invalid("it has no token id (jti), which this issuer requires.");
      }
      if (usedTokenIds.asMap().putIfAbsent(tokenId, expiresAt) != null) {
        throw TokenRejected.invalid("it was already used (one-time jti).");
      }
    }
    Map<String, Object> all = claims.toJSONObject();
    return new Identity(
        subject,
        config.issuer(),
        ClaimPath.stringsAt(all, config.groupsClaim()),
        Optional.ofNullable(ClaimPath.valueAt(all, config.purposeClaim())).map(String::valueOf),
        all,
        expiresAt,
        Optional.ofNullable(tokenId));
  }

  private DefaultJWTProcessor<SecurityContext> processor() {
    DefaultJWTProcessor<SecurityContext> current = processor;
    if (current != null) {
      return current;
    }
    synchronized (this) {
      if (processor != null) {
        return processor;
      }
      if (localKeys != null) {
        processor = newProcessor(localKeys);
        return processor;
      }
      Instant failed = lastDiscoveryFailure;
      if (failed != null && clock.instant().isBefore(failed.plus(DISCOVERY_RETRY))) {
        throw TokenRejected.unavailable(config.issuer());
      }
      URL jwks;
      try {
        jwks = config.jwksUri() != null ? config.jwksUri().toURL() : discover();
      } catch (IOException | RuntimeException e) {
        if (e instanceof GatewayException gatewayException
            && gatewayException.error().code() != ErrorCode.IDENTITY_PROVIDER_UNAVAILABLE) {
          throw gatewayException;
        }
        lastDiscoveryFailure = clock.instant();
        log.warn("discovery for issuer {} failed: {}", config.issuer(), e.toString());
        report(false);
        throw TokenRejected.unavailable(config.issuer());
      }
      JWKSource<SecurityContext> keys =
          JWKSourceBuilder.<SecurityContext>create(jwks, reporting(retriever))
              .cache(Duration.ofMinutes(15).toMillis(), Duration.ofSeconds(15).toMillis())
              .refreshAheadCache(true)
              .rateLimited(Duration.ofSeconds(30).toMillis())
              .outageTolerant(Duration.ofHours(4).toMillis())
              .retrying(true)
              .build();
      DefaultJWTProcessor<SecurityContext> built = newProcessor(keys);
      processor = built;
      log.info("issuer {}: keys from {}", config.issuer(), jwks);
      return built;
    }
  }

  /**
   * The same fetches, each reported to the listener. Wrapping the retriever rather than listening
   * to nimbus' cache events counts every fetch, whichever of its sources (refresh-ahead, retry,
   * outage tolerance) made it, and leaves their behaviour alone.
   */
  private ResourceRetriever reporting(ResourceRetriever delegate) {
    return url -> {
      Resource fetched;
      try {
        fetched = delegate.retrieveResource(url);
      } catch (IOException | RuntimeException e) {
        report(false);
        throw e;
      }
      report(true);
      return fetched;
    };
  }

  private void report(boolean success) {
    try {
      fetches.fetched(config.issuer(), success);
    } catch (RuntimeException e) {
      log.warn("JWKS fetch listener failed for issuer {}: {}", config.issuer(), e.toString());
    }
  }

  private DefaultJWTProcessor<SecurityContext> newProcessor(JWKSource<SecurityContext> keys) {
    DefaultJWTProcessor<SecurityContext> built = new DefaultJWTProcessor<>();
    built.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
    built.setJWSTypeVerifier(this::checkType);
    // Claims are checked by checkClaims, against the injected clock and with precise codes.
    built.setJWTClaimsSetVerifier((claims, context) -> {});
    return built;
  }

  private void checkType(JOSEObjectType type, SecurityContext context) throws BadJOSEException {
    if (config.allowedTypes().isEmpty()) {
      return;
    }
    String given = type == null ? "" : normalizeType(type.getType());
    for (String allowed : config.allowedTypes()) {
      if (normalizeType(allowed).equals(given)) {
        return;
      }
    }
    throw new BadJOSEException("JOSE header type not allowed");
  }

  /** {@code typ} compares case-insensitively, with {@code application/} optional (RFC 7515). */
  private static String normalizeType(String type) {
    String lower = type.toLowerCase(Locale.ROOT);
    return lower.startsWith("application/") ? lower.substring("application/".length()) : lower;
  }

  /** OIDC discovery: the document must name the configured issuer exactly. */
  private URL discover() throws IOException {
    String base = config.issuer().endsWith("/") ? config.issuer() : config.issuer() + "/";
    URL url = URI.create(base + ".well-known/openid-configuration").toURL();
    Resource document = retriever.retrieveResource(url);
    JsonNode json = JSON.readTree(document.getContent());
    String issuer = json.path("issuer").asText("");
    if (!issuer.equals(config.issuer())) {
      throw new IOException(
          "discovery document at "
              + url
              + " names issuer '"
              + issuer
              + "', not the configured one");
    }
    String jwksUri = json.path("jwks_uri").asText("");
    if (jwksUri.isEmpty()) {
      throw new IOException("discovery document at " + url + " has no jwks_uri");
    }
    return URI.create(jwksUri).toURL();
  }

  /** For tests and metrics: whether the issuer's key source is set up. */
  boolean isReady() {
    return processor != null;
  }
}
