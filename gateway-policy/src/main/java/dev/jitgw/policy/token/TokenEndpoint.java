package dev.jitgw.policy.token;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.Exchange;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.core.stage.LocalEndpoint;
import dev.jitgw.policy.identity.TokenVerifier;
import dev.jitgw.policy.rules.Policy;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/oauth/token}: the RFC 7523 jwt-bearer exchange the official SDKs perform with
 * {@code ANTHROPIC_IDENTITY_TOKEN_FILE}, {@code ANTHROPIC_FEDERATION_RULE_ID} and {@code
 * ANTHROPIC_ORGANIZATION_ID} (contract section 2). The assertion is verified like any caller JWT;
 * the policy's federation profile named by {@code federation_rule_id} must admit its identity; the
 * answer is a gateway-signed access token of at most the profile's lifetime. Errors follow RFC 6749
 * §5.2.
 */
public final class TokenEndpoint implements LocalEndpoint {
  private static final Logger log = LoggerFactory.getLogger(TokenEndpoint.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String PATH = "/v1/oauth/token";
  static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  private static final int MAX_BODY = 64 * 1024;

  private final TokenVerifier verifier;
  private final Supplier<Policy> policy;
  private final GatewayTokenIssuer issuer;
  private final Clock clock;

  public TokenEndpoint(
      TokenVerifier verifier, Supplier<Policy> policy, GatewayTokenIssuer issuer, Clock clock) {
    this.verifier = requireNonNull(verifier, "verifier");
    this.policy = requireNonNull(policy, "policy");
    this.issuer = requireNonNull(issuer, "issuer");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public boolean handles(String method, String path) {
    return path.equals(PATH);
  }

  @Override
  public CompletionStage<Response> handle(Exchange exchange) {
    if (!exchange.method().equals("POST")) {
      return done(error(405, "invalid_request", "use POST"));
    }
    ByteBuf body = exchange.body().orElse(null);
    if (body == null || !body.isReadable()) {
      return done(error(400, "invalid_request", "the request has no body"));
    }
    if (body.readableBytes() > MAX_BODY) {
      return done(error(400, "invalid_request", "the request body is too large"));
    }
    Map<String, String> params;
    try {
      params = parameters(exchange, body.toString(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return done(error(400, "invalid_request", e.getMessage()));
    }
    String grantType = params.get("grant_type");
    if (grantType == null) {
      return done(error(400, "invalid_request", "grant_type is missing"));
    }
    if (!grantType.equals(JWT_BEARER)) {
      return done(error(400, "unsupported_grant_type", "only " + JWT_BEARER + " is supported"));
    }
    for (String required : List.of("assertion", "federation_rule_id", "organization_id")) {
      if (params.get(required) == null || params.get(required).isBlank()) {
        return done(error(400, "invalid_request", required + " is missing"));
      }
    }
    String ruleId = params.get("federation_rule_id");
    return verifier
        .verify(params.get("assertion"))
        .handle(
            (identity, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                String why =
                    cause instanceof GatewayException gatewayException
                        ? gatewayException.getMessage()
                        : "it could not be verified";
                return error(400, "invalid_grant", "the assertion was rejected: " + why);
              }
              return grant(identity, ruleId);
            });
  }

  private Response grant(Identity identity, String ruleId) {
    if (identity.issuer().equals(issuer.issuer())) {
      return error(400, "invalid_grant", "a gateway token cannot be exchanged for another");
    }
    Instant now = clock.instant();
    Optional<Policy.FederationProfile> profile = policy.get().federationFor(ruleId, identity, now);
    if (profile.isEmpty()) {
      return error(
          400,
          "invalid_grant",
          "federation rule '" + ruleId + "' does not exist or does not admit this identity");
    }
    GatewayTokenIssuer.Issued issued = issuer.issue(identity, profile.get(), now);
    log.info(
        "issued gateway token jti={} sub={} rule={} lifetime={}",
        issued.tokenId(),
        identity.subject(),
        ruleId,
        issued.lifetime());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", issued.token());
    body.put("token_type", "Bearer");
    body.put("expires_in", issued.lifetime().toSeconds());
    return json(200, body);
  }

  private static Map<String, String> parameters(Exchange exchange, String body) {
    String contentType =
        String.valueOf(exchange.requestHeaders().get("content-type")).toLowerCase(Locale.ROOT);
    Map<String, String> params = new LinkedHashMap<>();
    if (contentType.startsWith("application/x-www-form-urlencoded")) {
      QueryStringDecoder form = new QueryStringDecoder(body, StandardCharsets.UTF_8, false);
      form.parameters()
          .forEach(
              (name, values) -> {
                if (values.size() != 1) {
                  throw new IllegalArgumentException(name + " is repeated");
                }
                params.put(name, values.get(0));
              });
      return params;
    }
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("the body is neither JSON nor a form");
    }
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("the body is not a JSON object");
    }
    json.fields()
        .forEachRemaining(
            field -> {
              if (field.getValue().isTextual()) {
                params.put(field.getKey(), field.getValue().asText());
              }
            });
    return params;
  }

  private static CompletionStage<Response> done(Response response) {
    return CompletableFuture.completedFuture(response);
  }

  /** RFC 6749 §5.2: {@code {"error": ..., "error_description": ...}}, never cached. */
  static Response error(int status, String code, String description) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", code);
    body.put("error_description", description);
    return json(status, body);
  }

  private static Response json(int status, Map<String, Object> body) {
    try {
      return new Response(
          status,
          Map.of(
              "content-type", "application/json",
              "cache-control", "no-store",
              "pragma", "no-cache"),
          JSON.writeValueAsBytes(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
