package dev.jitgw.server.demo;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.jitgw.core.config.Durations;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The demo's development OIDC issuer: a discovery document and a JWKS on a loopback listener of its
 * own, and an ES256 key generated at start that lives only in memory. The gateway trusts it like
 * any issuer (discovery, {@code kid} lookup, {@code aud}, lifetime), so demo tokens take the same
 * verification path as a real IdP's, and tokens from an earlier demo run are refused (their key is
 * gone).
 *
 * <p>Why a listener of its own rather than routes on the gateway's: the data plane serves nothing
 * but {@code /v1/} (contract section 2), the admin listener is the admin API's, and an issuer that
 * the gateway reaches over HTTP like any other proves the normal discovery path.
 *
 * <p>{@code POST /demo/token} mints a token for a demo user ({@code user=dev}) or any subject
 * ({@code sub=NAME&groups=a,b}), with {@code ttl} (default 30m, at most 1h, the gateway's default
 * maximum lifetime). It exists for the demo only: it is bound to 127.0.0.1 and hands a token to
 * anyone who asks there.
 */
public final class DevIssuer implements AutoCloseable {
  public static final String AUDIENCE = "jitgw";
  public static final String DISCOVERY_PATH = "/.well-known/openid-configuration";
  public static final String JWKS_PATH = "/jwks";
  public static final String MINT_PATH = "/demo/token";
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(30);
  public static final Duration MAX_TTL = Duration.ofHours(1);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ECKey key;
  private final Clock clock;
  private final LoopbackServer server;

  private DevIssuer(int port, Clock clock) {
    this.clock = requireNonNull(clock, "clock");
    try {
      this.key =
          new ECKeyGenerator(Curve.P_256)
              .keyID("demo-" + UUID.randomUUID().toString().substring(0, 8))
              .keyUse(KeyUse.SIGNATURE)
              .algorithm(JWSAlgorithm.ES256)
              .generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("development issuer: cannot generate a key", e);
    }
    this.server = LoopbackServer.start("jitgw-demo-issuer", port, 64 * 1024, this::routes);
  }

  /** Starts the issuer on {@code 127.0.0.1:port} ({@code 0}: a free port). */
  public static DevIssuer start(int port, Clock clock) {
    return new DevIssuer(port, clock);
  }

  /** The issuer URL: the tokens' {@code iss} and the base of discovery. */
  public String issuer() {
    return server.url();
  }

  public String mintUrl() {
    return issuer() + MINT_PATH;
  }

  public int port() {
    return server.port();
  }

  /** The signing key's public half, as the JWKS publishes it. */
  public ECKey publicKey() {
    return key.toPublicJWK();
  }

  /** A token for a demo user with the default lifetime. */
  public String mint(DemoUser user) {
    return mint(user.name(), user.groups(), DEFAULT_TTL);
  }

  /**
   * A signed token: {@code iss}, {@code sub}, {@code aud jitgw}, {@code groups}, now to now+ttl.
   */
  public String mint(String subject, List<String> groups, Duration ttl) {
    requireNonNull(subject, "subject");
    requireNonNull(groups, "groups");
    if (subject.isBlank()) {
      throw new IllegalArgumentException("sub: blank (expected a name)");
    }
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException(
          "ttl: " + Durations.format(ttl) + " (expected: more than 0, at most 1h)");
    }
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer())
            .subject(subject)
            .audience(AUDIENCE)
            .claim("groups", List.copyOf(groups))
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .jwtID(UUID.randomUUID().toString())
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("development issuer: cannot sign", e);
    }
    return jwt.serialize();
  }

  @Override
  public void close() {
    server.close();
  }

  private ChannelHandler routes() {
    return new Routes();
  }

  /** Discovery, keys and the demo's mint endpoint. */
  final class Routes extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      String path = new QueryStringDecoder(request.uri()).path();
      switch (path) {
        case DISCOVERY_PATH -> json(ctx, request, HttpResponseStatus.OK, discovery());
        case JWKS_PATH ->
            LoopbackServer.respond(
                ctx,
                request,
                HttpResponseStatus.OK,
                "application/jwk-set+json",
                new JWKSet(publicKey()).toString(true));
        case MINT_PATH -> mintRoute(ctx, request);
        default ->
            json(
                ctx,
                request,
                HttpResponseStatus.NOT_FOUND,
                Map.of("error", "not_found", "error_description", "no route " + path));
      }
    }

    private void mintRoute(ChannelHandlerContext ctx, FullHttpRequest request) {
      if (!HttpMethod.POST.equals(request.method())) {
        LoopbackServer.respond(
            ctx,
            request,
            HttpResponseStatus.METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "use POST, e.g. curl -s " + mintUrl() + " -d user=dev\n",
            HttpHeaderNames.ALLOW.toString(),
            "POST");
        return;
      }
      Map<String, List<String>> parameters =
          new LinkedHashMap<>(new QueryStringDecoder(request.uri()).parameters());
      String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
      if (type.isEmpty()
          || type.startsWith(HttpHeaderValues.APPLICATION_X_WWW_FORM_URLENCODED.toString())) {
        parameters.putAll(
            new QueryStringDecoder(request.content().toString(StandardCharsets.UTF_8), false)
                .parameters());
      }
      String token;
      try {
        token = mintFor(parameters);
      } catch (IllegalArgumentException e) {
        LoopbackServer.respond(
            ctx,
            request,
            HttpResponseStatus.BAD_REQUEST,
            "text/plain; charset=utf-8",
            "jitgw demo issuer: " + e.getMessage() + "\n");
        return;
      }
      LoopbackServer.respond(
          ctx,
          request,
          HttpResponseStatus.OK,
          "text/plain; charset=utf-8",
          token + "\n",
          HttpHeaderNames.CACHE_CONTROL.toString(),
          "no-store");
    }

    private String mintFor(Map<String, List<String>> parameters) {
      String user = first(parameters, "user");
      String sub = first(parameters, "sub");
      String groups = first(parameters, "groups");
      String ttl = first(parameters, "ttl");
      Duration lifetime = ttl == null ? DEFAULT_TTL : Durations.parse(ttl);
      if (user != null) {
        DemoUser known =
            DemoUser.ALL.stream()
                .filter(u -> u.name().equals(user))
                .findFirst()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "user: unknown '"
                                + user
                                + "' (expected one of "
                                + DemoUser.ALL.stream().map(DemoUser::name).toList()
                                + ", or sub=NAME&groups=a,b)"));
        return mint(known.name(), groups == null ? known.groups() : split(groups), lifetime);
      }
      if (sub == null) {
        throw new IllegalArgumentException(
            "missing user=NAME (one of "
                + DemoUser.ALL.stream().map(DemoUser::name).toList()
                + ") or sub=NAME");
      }
      return mint(sub, groups == null ? List.of() : split(groups), lifetime);
    }
  }

  private static String first(Map<String, List<String>> parameters, String name) {
    List<String> values = parameters.get(name);
    return values == null || values.isEmpty() ? null : values.get(0).trim();
  }

  private static List<String> split(String groups) {
    return Arrays.stream(groups.split(",")).map(String::trim).filter(g -> !g.isEmpty()).toList();
  }

  private Map<String, Object> discovery() {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("issuer", issuer());
    document.put("jwks_uri", issuer() + JWKS_PATH);
    document.put("id_token_signing_alg_values_supported", List.of("ES256"));
    document.put("subject_types_supported", List.of("public"));
    document.put("response_types_supported", List.of("token"));
    return document;
  }

  private static void json(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      HttpResponseStatus status,
      Map<String, Object> body) {
    try {
      LoopbackServer.respond(
          ctx, request, status, "application/json", JSON.writeValueAsString(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
