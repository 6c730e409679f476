package dev.jitgw.policy.identity;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.Header;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.ResourceRetriever;
import com.nimbusds.jwt.SignedJWT;
import dev.jitgw.core.config.IdentityConfig;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.identity.Identity;
import java.text.ParseException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/**
 * Verifies caller JWTs against the trusted issuers.
 *
 * <p>Cheap checks run on the caller's thread: size caps before parsing, the token shape (a JWE or
 * an unsigned token is refused), and routing by the unverified {@code iss} to that issuer's own
 * verifier, so a token naming an unknown issuer is refused without any network call. Signature
 * verification, which may fetch keys, runs on the blocking executor. Verified tokens are cached
 * until they expire, keyed by the whole token, so a caller reusing its token costs a map lookup.
 */
public final class TokenVerifier {
  /** A JOSE header larger than this is refused before it is decoded. */
  static final int MAX_HEADER_CHARS = 4096;

  private final Map<String, IssuerVerifier> issuers;
  private final Executor blocking;
  private final Clock clock;
  private final int maxTokenChars;
  private final Cache<String, Identity> verified;
  private final boolean caching;
  private final LocalIssuer local;

  /**
   * The gateway's own token issuer: its keys are local, and its tokens can be revoked by {@code
   * jti} (checked on every use, cached or not).
   */
  public record LocalIssuer(
      IssuerConfig config, JWKSource<SecurityContext> keys, Predicate<String> revoked) {}

  public TokenVerifier(IdentityConfig config, Executor blocking, Clock clock) {
    this(config, blocking, clock, new DefaultResourceRetriever(5_000, 5_000, 512 * 1024));
  }

  public TokenVerifier(
      IdentityConfig config, Executor blocking, Clock clock, ResourceRetriever retriever) {
    this(config, blocking, clock, retriever, null);
  }

  public TokenVerifier(
      IdentityConfig config,
      Executor blocking,
      Clock clock,
      ResourceRetriever retriever,
      LocalIssuer local) {
    this(config, blocking, clock, retriever, local, JwksFetchListener.NONE);
  }

  /**
   * @param fetches told of each fetch of a trusted issuer's key set and whether it succeeded
   *     (metrics); the local issuer fetches nothing
   */
  public TokenVerifier(
      IdentityConfig config,
      Executor blocking,
      Clock clock,
      ResourceRetriever retriever,
      LocalIssuer local,
      JwksFetchListener fetches) {
    requireNonNull(config, "config");
    requireNonNull(fetches, "fetches");
    this.local = local;
    this.blocking = requireNonNull(blocking, "blocking");
    this.clock = requireNonNull(clock, "clock");
    this.maxTokenChars = config.maxTokenSize().toIntBytes();
    Map<String, IssuerVerifier> byIssuer = new LinkedHashMap<>();
    for (IssuerConfig issuer : config.issuers()) {
      byIssuer.put(issuer.issuer(), new IssuerVerifier(issuer, retriever, clock, null, fetches));
    }
    if (local != null) {
      byIssuer.put(
          local.config().issuer(),
          new IssuerVerifier(
              local.config(), retriever, clock, local.keys(), JwksFetchListener.NONE));
    }
    this.issuers = Map.copyOf(byIssuer);
    this.caching = config.cacheSize() > 0;
    this.verified = Caffeine.newBuilder().maximumSize(config.cacheSize()).build();
  }

  /** Whether any issuer is trusted; with none, every token is refused. */
  public boolean hasIssuers() {
    return !issuers.isEmpty();
  }

  /**
   * The verified identity, or a {@link GatewayException} with the contract's 401 code (503 when the
   * issuer's keys cannot be had).
   */
  public CompletionStage<Identity> verify(String token) {
    Identity cached = caching ? verified.getIfPresent(token) : null;
    if (cached != null) {
      if (clock.instant().isBefore(cached.expiresAt())) {
        return revoked(cached)
            ? CompletableFuture.failedFuture(TokenRejected.invalid("it was revoked."))
            : CompletableFuture.completedFuture(cached);
      }
      verified.invalidate(token);
    }
    SignedJWT jwt;
    IssuerVerifier issuer;
    try {
      jwt = parse(token);
      issuer = route(jwt);
    } catch (GatewayException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.supplyAsync(
        () -> {
          Identity identity = issuer.verify(jwt);
          if (revoked(identity)) {
            throw TokenRejected.invalid("it was revoked.");
          }
          if (caching && !issuer.config().oneTimeTokens()) {
            verified.put(token, identity);
          }
          return identity;
        },
        blocking);
  }

  private boolean revoked(Identity identity) {
    return local != null
        && identity.issuer().equals(local.config().issuer())
        && identity.tokenId().map(local.revoked()::test).orElse(false);
  }

  private SignedJWT parse(String token) {
    if (token.length() > maxTokenChars) {
      throw TokenRejected.malformed("it is longer than " + maxTokenChars + " characters.");
    }
    int dots = 0;
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == '.') {
        dots++;
      } else if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_') || c > 127) {
        throw TokenRejected.malformed("it has characters outside base64url.");
      }
    }
    if (dots == 4) {
      throw TokenRejected.invalid("encrypted tokens (JWE) are not accepted; send a signed JWT.");
    }
    if (dots != 2) {
      throw TokenRejected.malformed("it does not have the three parts of a signed JWT.");
    }
    int firstDot = token.indexOf('.');
    if (firstDot > MAX_HEADER_CHARS) {
      throw TokenRejected.malformed("its header is too large.");
    }
    Header header;
    try {
      header = Header.parse(new Base64URL(token.substring(0, firstDot)));
    } catch (ParseException e) {
      throw TokenRejected.malformed("its header cannot be parsed.");
    }
    if (header instanceof PlainHeader) {
      throw TokenRejected.invalid("unsigned tokens (alg none) are refused.");
    }
    if (header instanceof JWEHeader) {
      throw TokenRejected.invalid("encrypted tokens (JWE) are not accepted; send a signed JWT.");
    }
    if (!(header instanceof JWSHeader)) {
      throw TokenRejected.malformed("its header is not a JWS header.");
    }
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      jwt.getJWTClaimsSet();
      return jwt;
    } catch (ParseException e) {
      throw TokenRejected.malformed("its claims cannot be parsed.");
    }
  }

  private IssuerVerifier route(SignedJWT jwt) {
    String iss;
    try {
      iss = jwt.getJWTClaimsSet().getIssuer();
    } catch (ParseException e) {
      throw TokenRejected.malformed("its claims cannot be parsed.");
    }
    if (iss == null || iss.isBlank()) {
      throw TokenRejected.invalid("it has no issuer (iss).");
    }
    IssuerVerifier issuer = issuers.get(iss);
    if (issuer == null) {
      throw TokenRejected.invalid(
          "its issuer '" + TokenRejected.shown(iss) + "' is not trusted by this gateway.");
    }
    return issuer;
  }
}
