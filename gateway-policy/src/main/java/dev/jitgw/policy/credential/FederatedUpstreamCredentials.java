package dev.jitgw.policy.credential;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.core.config.UpstreamFederationConfig;
import dev.jitgw.core.credential.UpstreamAuth;
import dev.jitgw.core.credential.UpstreamCredentials;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.Exchange;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyless upstream: the gateway performs the upstream's workload identity federation itself (RFC
 * 7523 jwt-bearer grant at the upstream's {@code /v1/oauth/token}, wire-compatible with the
 * official SDKs), caches the short-lived access token, and refreshes it before it expires, so that
 * no static key exists anywhere.
 *
 * <p>Exchanges run off the event loops (the identity token file is read on the scheduler, the HTTP
 * call is asynchronous). One exchange is in flight at a time; requests that need a token while it
 * runs wait for the same result. A refresh that fails leaves the current token in use until it
 * expires.
 */
public final class FederatedUpstreamCredentials implements UpstreamCredentials, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FederatedUpstreamCredentials.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  static final String EXCHANGE_BETA = "oauth-2025-04-20,oidc-federation-2026-04-01";

  /** Refresh when this little of the lifetime is left (and at most this long before expiry). */
  private static final double REFRESH_AT_FRACTION = 0.2;

  private static final Duration MAX_REFRESH_MARGIN = Duration.ofMinutes(5);

  private final UpstreamFederationConfig config;
  private final URI tokenUrl;
  private final HttpClient http;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private volatile AccessToken current;
  private CompletableFuture<AccessToken> inFlight;
  private ScheduledFuture<?> nextRefresh;
  private volatile boolean closed;

  private record AccessToken(String value, Instant expiresAt, Instant refreshAt) {}

  private FederatedUpstreamCredentials(
      UpstreamFederationConfig config,
      URI tokenUrl,
      HttpClient http,
      ScheduledExecutorService scheduler,
      Clock clock) {
    this.config = requireNonNull(config, "config");
    this.tokenUrl = requireNonNull(tokenUrl, "tokenUrl");
    this.http = requireNonNull(http, "http");
    this.scheduler = requireNonNull(scheduler, "scheduler");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Starts the first exchange at once; requests arriving before it completes wait for it. */
  public static FederatedUpstreamCredentials start(
      UpstreamFederationConfig config,
      URI tokenUrl,
      HttpClient http,
      ScheduledExecutorService scheduler,
      Clock clock) {
    FederatedUpstreamCredentials credentials =
        new FederatedUpstreamCredentials(config, tokenUrl, http, scheduler, clock);
    credentials.refresh();
    return credentials;
  }

  @Override
  public CompletionStage<UpstreamAuth> credentialFor(Exchange exchange) {
    AccessToken token = current;
    if (token != null && clock.instant().isBefore(token.expiresAt())) {
      return CompletableFuture.completedFuture(UpstreamAuth.bearer(token.value()));
    }
    return refresh()
        .handle(
            (fresh, error) -> {
              if (error != null) {
                Throwable cause = error.getCause() != null ? error.getCause() : error;
                throw new GatewayException(
                    ErrorCode.UPSTREAM_UNAVAILABLE,
                    "The gateway could not obtain an upstream access token ("
                        + cause.getMessage()
                        + "); retry later.");
              }
              return UpstreamAuth.bearer(fresh.value());
            });
  }

  /** Starts an exchange unless one is running; every caller gets the same result. */
  private synchronized CompletableFuture<AccessToken> refresh() {
    if (inFlight != null && !inFlight.isDone()) {
      return inFlight;
    }
    CompletableFuture<AccessToken> exchange =
        CompletableFuture.supplyAsync(this::requestBody, scheduler)
            .thenCompose(
                body ->
                    http.sendAsync(
                        HttpRequest.newBuilder(tokenUrl)
                            .timeout(Duration.ofSeconds(30))
                            .header("content-type", "application/json")
                            .header("anthropic-beta", EXCHANGE_BETA)
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                        HttpResponse.BodyHandlers.ofString()))
            .thenApply(this::parse);
    exchange.whenComplete(this::onExchanged);
    inFlight = exchange;
    return exchange;
  }

  private String requestBody() {
    String assertion;
    try {
      assertion = Files.readString(config.identityTokenFile()).trim();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read identity_token_file " + config.identityTokenFile() + ": " + e, e);
    }
    if (assertion.isEmpty()) {
      throw new IllegalStateException(
          "identity_token_file " + config.identityTokenFile() + " is empty");
    }
    Map<String, String> body = new LinkedHashMap<>();
    body.put("grant_type", GRANT_TYPE);
    body.put("assertion", assertion);
    body.put("federation_rule_id", config.federationRuleId());
    body.put("organization_id", config.organizationId());
    if (config.serviceAccountId() != null) {
      body.put("service_account_id", config.serviceAccountId());
    }
    if (config.workspaceId() != null) {
      body.put("workspace_id", config.workspaceId());
    }
    try {
      return JSON.writeValueAsString(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private AccessToken parse(HttpResponse<String> response) {
    JsonNode json;
    try {
      json = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException("token endpoint answered " + response.statusCode());
    }
    if (response.statusCode() != 200) {
      // RFC 6749 §5.2 error; never log the assertion, only the endpoint's own words.
      throw new IllegalStateException(
          "token endpoint answered "
              + response.statusCode()
              + " "
              + json.path("error").asText("")
              + " "
              + json.path("error_description").asText(""));
    }
    String value = json.path("access_token").asText("");
    long expiresIn = json.path("expires_in").asLong(0);
    if (value.isEmpty() || expiresIn <= 0) {
      throw new IllegalStateException("token endpoint answered without access_token/expires_in");
    }
    Instant now = clock.instant();
    Duration lifetime = Duration.ofSeconds(expiresIn);
    Duration margin =
        min(
            Duration.ofMillis((long) (lifetime.toMillis() * REFRESH_AT_FRACTION)),
            MAX_REFRESH_MARGIN);
    return new AccessToken(value, now.plus(lifetime), now.plus(lifetime).minus(margin));
  }

  private void onExchanged(AccessToken token, Throwable error) {
    if (closed) {
      return;
    }
    Duration retryIn;
    if (error == null) {
      current = token;
      retryIn = Duration.between(clock.instant(), token.refreshAt());
      log.info("upstream access token obtained; valid until {}", token.expiresAt());
    } else {
      Throwable cause = error.getCause() != null ? error.getCause() : error;
      log.warn("upstream token exchange at {} failed: {}", tokenUrl, cause.getMessage());
      retryIn = Duration.ofSeconds(5);
    }
    schedule(retryIn);
  }

  private synchronized void schedule(Duration in) {
    if (nextRefresh != null) {
      nextRefresh.cancel(false);
    }
    long millis = Math.max(100, in.toMillis());
    nextRefresh = scheduler.schedule(this::refresh, millis, TimeUnit.MILLISECONDS);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (nextRefresh != null) {
      nextRefresh.cancel(false);
    }
  }
}
