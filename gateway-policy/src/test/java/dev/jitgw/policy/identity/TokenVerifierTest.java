package dev.jitgw.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.jitgw.core.config.IdentityConfig;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.testing.MutableClock;
import dev.jitgw.policy.testing.TestIdentityProvider;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad tokens, one row each, with the contract's error code; and the good paths: groups from a claim
 * path, key rotation, an issuer outage with and without cached keys.
 */
class TokenVerifierTest {
  private static final MutableClock clock = MutableClock.atNow();
  private static final ExecutorService blocking = Executors.newFixedThreadPool(2);
  private static TestIdentityProvider idp;
  private static TestIdentityProvider otherIdp;
  private static TestIdentityProvider attacker;
  private static TokenVerifier verifier;

  @BeforeAll
  static void start() {
    idp = new TestIdentityProvider(clock);
    otherIdp = new TestIdentityProvider(clock);
    attacker = new TestIdentityProvider(clock);
    verifier = verifierFor(IssuerConfig.of(idp.issuer()), IssuerConfig.of(otherIdp.issuer()));
  }

  @AfterAll
  static void stop() {
    idp.close();
    otherIdp.close();
    attacker.close();
    blocking.shutdownNow();
  }

  static TokenVerifier verifierFor(IssuerConfig... issuers) {
    return new TokenVerifier(
        IdentityConfig.defaults().withIssuers(List.of(issuers)), blocking, clock);
  }

  static Identity verify(TokenVerifier verifier, String token) {
    try {
      return verifier.verify(token).toCompletableFuture().join();
    } catch (CompletionException e) {
      throw (RuntimeException) e.getCause();
    }
  }

  record Case(String name, Function<TestIdentityProvider, String> token, ErrorCode expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> badTokens() {
    return Stream.of(
            new Case("garbage", p -> "not-a-jwt", ErrorCode.MALFORMED_TOKEN),
            new Case("an Anthropic API key", p -> "sk-ant-api03-abcdef", ErrorCode.MALFORMED_TOKEN),
            new Case("three parts, bad base64", p -> "a.b!.c", ErrorCode.MALFORMED_TOKEN),
            new Case("header not JSON", p -> "bm90LWpzb24.e30.c2ln", ErrorCode.MALFORMED_TOKEN),
            new Case("alg none", TokenVerifierTest::unsigned, ErrorCode.INVALID_TOKEN),
            new Case(
                "HS256 signed with the issuer's public key",
                TokenVerifierTest::hmacWithPublicKey,
                ErrorCode.INVALID_TOKEN),
            new Case("tampered payload", TokenVerifierTest::tampered, ErrorCode.INVALID_TOKEN),
            new Case(
                "expired",
                p -> p.token().issuedAt(clock.instant().minus(Duration.ofMinutes(10))).sign(),
                ErrorCode.TOKEN_EXPIRED),
            new Case(
                "not yet valid (nbf)",
                p -> p.token().notBefore(clock.instant().plus(Duration.ofMinutes(2))).sign(),
                ErrorCode.TOKEN_NOT_YET_VALID),
            new Case(
                "issued in the future (iat)",
                p -> p.token().issuedAt(clock.instant().plus(Duration.ofMinutes(2))).sign(),
                ErrorCode.TOKEN_NOT_YET_VALID),
            new Case(
                "wrong audience",
                p -> p.token().audience("another-service").sign(),
                ErrorCode.INVALID_TOKEN),
            new Case("untrusted issuer", p -> attacker.token().sign(), ErrorCode.INVALID_TOKEN),
            new Case(
                "second trusted issuer's key claiming the first's iss",
                p -> otherIdp.token().issuer(p.issuer()).sign(),
                ErrorCode.INVALID_TOKEN),
            new Case(
                "lifetime 24 h",
                p -> p.token().lifetime(Duration.ofHours(24)).sign(),
                ErrorCode.TOKEN_LIFETIME_TOO_LONG),
            new Case(
                "no iat and 24 h left",
                p -> p.token().withoutIssuedAt().lifetime(Duration.ofHours(24)).sign(),
                ErrorCode.TOKEN_LIFETIME_TOO_LONG),
            new Case("no subject", p -> p.token().subject(null).sign(), ErrorCode.INVALID_TOKEN),
            new Case("jku to attacker keys", TokenVerifierTest::jku, ErrorCode.INVALID_TOKEN),
            new Case(
                "embedded attacker jwk", TokenVerifierTest::embeddedJwk, ErrorCode.INVALID_TOKEN),
            new Case("x5u to attacker", TokenVerifierTest::x5u, ErrorCode.INVALID_TOKEN),
            new Case(
                "unknown crit header", TokenVerifierTest::unknownCrit, ErrorCode.INVALID_TOKEN),
            new Case(
                "encrypted (JWE)",
                p -> "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d",
                ErrorCode.INVALID_TOKEN),
            new Case(
                "oversize",
                p -> "eyJhbGciOiJSUzI1NiJ9." + "A".repeat(20_000) + ".c2ln",
                ErrorCode.MALFORMED_TOKEN))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void badTokenIsRefusedWithItsCode(Case bad) {
    String token = bad.token().apply(idp);
    assertThatThrownBy(() -> verify(verifier, token))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.error().code()).isEqualTo(bad.expected());
              assertThat(e.getMessage()).doesNotContain(token);
            });
    assertThat(attacker.jwksRequests()).as("the attacker's key server is never asked").isZero();
    assertThat(attacker.discoveryRequests()).isZero();
  }

  @Test
  void validTokenGivesTheIdentity() {
    String token =
        idp.token()
            .subject("bob")
            .claim("realm_access", Map.of("roles", List.of("eng", "ml-leads")))
            .claim("purpose", "release notes")
            .claim("repository", "acme/app")
            .sign();
    TokenVerifier keycloakStyle =
        verifierFor(IssuerConfig.of(idp.issuer()).withClaims("realm_access.roles", "purpose"));
    Identity identity = verify(keycloakStyle, token);
    assertThat(identity.subject()).isEqualTo("bob");
    assertThat(identity.issuer()).isEqualTo(idp.issuer());
    assertThat(identity.groups()).containsExactly("eng", "ml-leads");
    assertThat(identity.purpose()).contains("release notes");
    assertThat(identity.claims()).containsEntry("repository", "acme/app");
    assertThat(identity.expiresAt()).isAfter(clock.instant());
  }

  @Test
  void verifiedTokensAreCachedUntilTheyExpire() {
    TokenVerifier fresh = verifierFor(IssuerConfig.of(idp.issuer()));
    String token = idp.token().lifetime(Duration.ofMinutes(2)).sign();
    Identity first = verify(fresh, token);
    assertThat(fresh.verify(token).toCompletableFuture()).isCompletedWithValue(first);
    clock.advance(Duration.ofMinutes(3));
    try {
      assertThatThrownBy(() -> verify(fresh, token))
          .isInstanceOfSatisfying(
              GatewayException.class,
              e -> assertThat(e.error().code()).isEqualTo(ErrorCode.TOKEN_EXPIRED));
    } finally {
      clock.advance(Duration.ofMinutes(-3));
    }
  }

  @Test
  void unknownKidFloodCausesAtMostOneRefetch() throws Exception {
    TestIdentityProvider quiet = new TestIdentityProvider(clock);
    try {
      TokenVerifier fresh = verifierFor(IssuerConfig.of(quiet.issuer()));
      verify(fresh, quiet.token().sign());
      int before = quiet.jwksRequests();
      for (int i = 0; i < 40; i++) {
        ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("kid-" + i).generate();
        String token = quiet.token().signedWith(stranger).sign();
        assertThatThrownBy(() -> verify(fresh, token))
            .isInstanceOfSatisfying(
                GatewayException.class,
                e -> assertThat(e.error().code()).isEqualTo(ErrorCode.INVALID_TOKEN));
      }
      assertThat(quiet.jwksRequests() - before).isLessThanOrEqualTo(1);
    } finally {
      quiet.close();
    }
  }

  @Test
  void keyRotationAtTheIssuerNeedsNoRestart() {
    TestIdentityProvider rotating = new TestIdentityProvider(clock);
    try {
      TokenVerifier fresh = verifierFor(IssuerConfig.of(rotating.issuer()));
      String before = rotating.token().sign();
      assertThat(verify(fresh, before).subject()).isEqualTo("alice");
      // The issuer publishes a new key (of another type) and signs with it: the unknown kid
      // triggers the one refetch, and tokens signed before the rotation still pass.
      rotating.useEcKey();
      String after = rotating.token().subject("carol").sign();
      assertThat(verify(fresh, after).subject()).isEqualTo("carol");
      assertThat(verify(fresh, before).subject()).isEqualTo("alice");
    } finally {
      rotating.close();
    }
  }

  @Test
  void issuerOutageWithoutCachedKeysIsA503ThatRecovers() {
    TestIdentityProvider flaky = new TestIdentityProvider(clock);
    try {
      flaky.down(true);
      TokenVerifier fresh = verifierFor(IssuerConfig.of(flaky.issuer()));
      String token = flaky.token().sign();
      assertThatThrownBy(() -> verify(fresh, token))
          .isInstanceOfSatisfying(
              GatewayException.class,
              e -> {
                assertThat(e.error().code()).isEqualTo(ErrorCode.IDENTITY_PROVIDER_UNAVAILABLE);
                assertThat(e.error().status()).isEqualTo(503);
              });
      flaky.down(false);
      clock.advance(Duration.ofSeconds(6));
      try {
        assertThat(verify(fresh, flaky.token().sign()).subject()).isEqualTo("alice");
      } finally {
        clock.advance(Duration.ofSeconds(-6));
      }
    } finally {
      flaky.close();
    }
  }

  @Test
  void anIssuerWhoseKeysNeverLoadStays503EvenPastTheRefetchLimit() {
    TestIdentityProvider broken = new TestIdentityProvider(clock);
    try {
      broken.jwksDown(true);
      TokenVerifier fresh = verifierFor(IssuerConfig.of(broken.issuer()));
      for (int i = 0; i < 5; i++) {
        String token = broken.token().sign();
        assertThatThrownBy(() -> verify(fresh, token))
            .isInstanceOfSatisfying(
                GatewayException.class,
                e ->
                    assertThat(e.error().code())
                        .isEqualTo(ErrorCode.IDENTITY_PROVIDER_UNAVAILABLE));
      }
    } finally {
      broken.close();
    }
  }

  @Test
  void issuerOutageWithCachedKeysKeepsVerifying() {
    TestIdentityProvider flaky = new TestIdentityProvider(clock);
    try {
      TokenVerifier fresh = verifierFor(IssuerConfig.of(flaky.issuer()));
      verify(fresh, flaky.token().sign());
      flaky.down(true);
      assertThat(verify(fresh, flaky.token().subject("erin").sign()).subject()).isEqualTo("erin");
    } finally {
      flaky.close();
    }
  }

  @Test
  void discoveryMustNameTheConfiguredIssuer() {
    // Configured with a trailing-slash variant: the document names the issuer without it.
    TokenVerifier mismatched = verifierFor(IssuerConfig.of(idp.issuer() + "/"));
    String token = idp.token().issuer(idp.issuer() + "/").sign();
    assertThatThrownBy(() -> verify(mismatched, token))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> assertThat(e.error().code()).isEqualTo(ErrorCode.IDENTITY_PROVIDER_UNAVAILABLE));
  }

  @Test
  void explicitJwksUriSkipsDiscovery() {
    TestIdentityProvider direct = new TestIdentityProvider(clock);
    try {
      TokenVerifier fresh =
          verifierFor(IssuerConfig.of(direct.issuer()).withJwksUri(URI.create(direct.jwksUri())));
      verify(fresh, direct.token().sign());
      assertThat(direct.discoveryRequests()).isZero();
      assertThat(direct.jwksRequests()).isEqualTo(1);
    } finally {
      direct.close();
    }
  }

  @Test
  void typAllowListIsEnforced() {
    TokenVerifier strict =
        verifierFor(
            IssuerConfig.of(idp.issuer())
                .withTokenRules(Duration.ofHours(1), List.of("at+jwt"), false));
    JWK key = idp.signingKey();
    String accessToken =
        idp.token()
            .header(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                    .keyID(key.getKeyID())
                    .type(new JOSEObjectType("application/at+jwt")))
            .sign();
    assertThat(verify(strict, accessToken).subject()).isEqualTo("alice");
    String idToken = idp.token().sign(); // typ JWT
    assertThatThrownBy(() -> verify(strict, idToken))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> assertThat(e.error().code()).isEqualTo(ErrorCode.INVALID_TOKEN));
  }

  @Test
  void oneTimeTokensCannotBeReplayed() {
    TokenVerifier once =
        verifierFor(
            IssuerConfig.of(idp.issuer()).withTokenRules(Duration.ofHours(1), List.of(), true));
    String token = idp.token().jwtId(UUID.randomUUID().toString()).sign();
    verify(once, token);
    assertThatThrownBy(() -> verify(once, token))
        .isInstanceOfSatisfying(
            GatewayException.class, e -> assertThat(e.getMessage()).contains("already used"));
  }

  @Test
  void localIssuerTokensVerifyWithoutNetworkAndCanBeRevokedEvenWhenCached() {
    TestIdentityProvider gateway = new TestIdentityProvider(clock);
    try {
      java.util.Set<String> revoked = java.util.concurrent.ConcurrentHashMap.newKeySet();
      com.nimbusds.jose.jwk.JWKSet keys =
          new com.nimbusds.jose.jwk.JWKSet(gateway.signingKey().toPublicJWK());
      TokenVerifier withLocal =
          new TokenVerifier(
              IdentityConfig.defaults().withIssuers(List.of(IssuerConfig.of(idp.issuer()))),
              blocking,
              clock,
              new com.nimbusds.jose.util.DefaultResourceRetriever(1000, 1000),
              new TokenVerifier.LocalIssuer(
                  IssuerConfig.of(gateway.issuer()),
                  (selector, context) -> selector.select(keys),
                  revoked::contains));
      String token = gateway.token().jwtId("jti-1").sign();
      assertThat(verify(withLocal, token).subject()).isEqualTo("alice");
      assertThat(gateway.jwksRequests()).isZero();
      revoked.add("jti-1");
      assertThatThrownBy(() -> verify(withLocal, token))
          .isInstanceOfSatisfying(
              GatewayException.class, e -> assertThat(e.getMessage()).contains("revoked"));
    } finally {
      gateway.close();
    }
  }

  // ---- hand-made bad tokens -------------------------------------------------------------------

  private static String claimsPart(TestIdentityProvider p) {
    return p.token().sign().split("\\.")[1];
  }

  static String unsigned(TestIdentityProvider p) {
    return Base64URL.encode("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8))
        + "."
        + claimsPart(p)
        + ".";
  }

  static String hmacWithPublicKey(TestIdentityProvider p) {
    try {
      RSAKey key = (RSAKey) p.signingKey();
      byte[] secret = key.toPublicJWK().toRSAPublicKey().getEncoded();
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID()).build(),
              JWTClaimsSet.parse(TestIdentityProvider.claimsOf(p.token().sign())));
      jwt.sign(new MACSigner(secret));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String tampered(TestIdentityProvider p) {
    String[] parts = p.token().sign().split("\\.");
    String other = p.token().subject("admin").sign().split("\\.")[1];
    return parts[0] + "." + other + "." + parts[2];
  }

  private static String attackerSigned(TestIdentityProvider p, JWSHeader.Builder header) {
    return attacker.token().issuer(p.issuer()).header(header).sign();
  }

  static String jku(TestIdentityProvider p) {
    JWK key = attacker.signingKey();
    return attackerSigned(
        p,
        new JWSHeader.Builder(JWSAlgorithm.RS256)
            .keyID(key.getKeyID())
            .jwkURL(URI.create(attacker.jwksUri())));
  }

  static String embeddedJwk(TestIdentityProvider p) {
    JWK key = attacker.signingKey();
    return attackerSigned(
        p, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).jwk(key.toPublicJWK()));
  }

  static String x5u(TestIdentityProvider p) {
    JWK key = attacker.signingKey();
    return attackerSigned(
        p,
        new JWSHeader.Builder(JWSAlgorithm.RS256)
            .keyID(key.getKeyID())
            .x509CertURL(URI.create(attacker.issuer() + "/cert.pem")));
  }

  static String unknownCrit(TestIdentityProvider p) {
    JWK key = p.signingKey();
    return p.token()
        .header(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(key.getKeyID())
                .customParam("jitgw-unknown", 1)
                .criticalParams(Set.of("jitgw-unknown")))
        .sign();
  }
}
