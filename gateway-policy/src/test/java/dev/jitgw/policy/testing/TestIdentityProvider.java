package dev.jitgw.policy.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small OIDC identity provider for tests: discovery document, JWKS, and a token builder that
 * signs with its current key. It counts requests (to prove what was fetched, or that nothing was),
 * rotates keys, and can go down.
 */
public final class TestIdentityProvider implements AutoCloseable {
  private final HttpServer server;
  private final String issuer;
  private final List<JWK> published = new CopyOnWriteArrayList<>();
  private final AtomicInteger discoveryRequests = new AtomicInteger();
  private final AtomicInteger jwksRequests = new AtomicInteger();
  private final Clock clock;
  private volatile JWK signingKey;
  private volatile boolean down;
  private volatile boolean jwksDown;

  public TestIdentityProvider(Clock clock) {
    this.clock = clock;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/test";
    server.createContext("/realms/test/.well-known/openid-configuration", this::discovery);
    server.createContext("/realms/test/jwks", this::jwks);
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
    signingKey = newRsaKey();
    published.add(signingKey.toPublicJWK());
  }

  public TestIdentityProvider() {
    this(Clock.systemUTC());
  }

  public String issuer() {
    return issuer;
  }

  public String jwksUri() {
    return issuer + "/jwks";
  }

  public int discoveryRequests() {
    return discoveryRequests.get();
  }

  public int jwksRequests() {
    return jwksRequests.get();
  }

  public void down(boolean down) {
    this.down = down;
  }

  /** Keeps discovery up but fails the key set endpoint. */
  public void jwksDown(boolean jwksDown) {
    this.jwksDown = jwksDown;
  }

  /** Publishes a new RSA key and signs with it from now on; the old key stays published. */
  public JWK rotate() {
    JWK next = newRsaKey();
    published.add(next.toPublicJWK());
    signingKey = next;
    return next;
  }

  /** Switches to an EC P-256 key (published alongside the others). */
  public JWK useEcKey() {
    try {
      JWK ec = new ECKeyGenerator(Curve.P_256).keyID("ec-" + UUID.randomUUID()).generate();
      published.add(ec.toPublicJWK());
      signingKey = ec;
      return ec;
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops publishing every key but the current one. */
  public void retireOldKeys() {
    published.removeIf(key -> !key.getKeyID().equals(signingKey.getKeyID()));
  }

  public JWK signingKey() {
    return signingKey;
  }

  public static RSAKey newRsaKey() {
    try {
      return new RSAKeyGenerator(2048).keyID("rsa-" + UUID.randomUUID()).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A token with sensible defaults: 5 minutes, audience jitgw, subject alice. */
  public Token token() {
    return new Token();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  private void discovery(HttpExchange exchange) throws IOException {
    discoveryRequests.incrementAndGet();
    respond(
        exchange,
        "{\"issuer\":\""
            + issuer
            + "\",\"jwks_uri\":\""
            + jwksUri()
            + "\",\"id_token_signing_alg_values_supported\":[\"RS256\",\"ES256\"]}");
  }

  private void jwks(HttpExchange exchange) throws IOException {
    jwksRequests.incrementAndGet();
    if (jwksDown) {
      exchange.sendResponseHeaders(503, -1);
      exchange.close();
      return;
    }
    respond(exchange, new JWKSet(new ArrayList<>(published)).toString(true));
  }

  private void respond(HttpExchange exchange, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    int status = down ? 503 : 200;
    if (down) {
      bytes = "{\"error\":\"down\"}".getBytes(StandardCharsets.UTF_8);
    }
    exchange.getResponseHeaders().set("content-type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  /** Builds and signs one token. */
  public final class Token {
    private final JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder();
    private JWSHeader.Builder header;
    private JWK key = signingKey;
    private Instant issuedAt = clock.instant();
    private Duration lifetime = Duration.ofMinutes(5);

    Token() {
      claims.issuer(issuer).subject("alice").audience("jitgw").jwtID(UUID.randomUUID().toString());
    }

    public Token subject(String subject) {
      claims.subject(subject);
      return this;
    }

    public Token issuer(String issuer) {
      claims.issuer(issuer);
      return this;
    }

    public Token audience(String audience) {
      claims.audience(audience);
      return this;
    }

    public Token claim(String name, Object value) {
      claims.claim(name, value);
      return this;
    }

    public Token groups(String... groups) {
      claims.claim("groups", List.of(groups));
      return this;
    }

    public Token issuedAt(Instant issuedAt) {
      this.issuedAt = issuedAt;
      return this;
    }

    public Token lifetime(Duration lifetime) {
      this.lifetime = lifetime;
      return this;
    }

    public Token notBefore(Instant notBefore) {
      claims.notBeforeTime(Date.from(notBefore));
      return this;
    }

    public Token withoutIssuedAt() {
      this.issuedAt = null;
      return this;
    }

    public Token jwtId(String id) {
      claims.jwtID(id);
      return this;
    }

    public Token signedWith(JWK key) {
      this.key = key;
      return this;
    }

    /** Replaces the default header (algorithm and key id are still the key's unless set). */
    public Token header(JWSHeader.Builder header) {
      this.header = header;
      return this;
    }

    public String sign() {
      Instant start = issuedAt == null ? clock.instant() : issuedAt;
      if (issuedAt != null) {
        claims.issueTime(Date.from(issuedAt));
      }
      claims.expirationTime(Date.from(start.plus(lifetime)));
      JWSAlgorithm algorithm = key instanceof ECKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
      JWSHeader.Builder builder =
          header != null
              ? header
              : new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).type(JOSEObjectType.JWT);
      try {
        JWSSigner signer =
            key instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) key);
        SignedJWT jwt = new SignedJWT(builder.build(), claims.build());
        jwt.sign(signer);
        return jwt.serialize();
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Claims as a map, for tests that build tokens by hand. */
  public static Map<String, Object> claimsOf(String token) {
    try {
      return SignedJWT.parse(token).getJWTClaimsSet().toJSONObject();
    } catch (java.text.ParseException e) {
      throw new IllegalStateException(e);
    }
  }
}
