package dev.jitgw.core.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The upstream Claude API.
 *
 * @param url base URL ({@code JITGW_UPSTREAM_URL}); a path prefix is kept, e.g. {@code
 *     https://proxy.internal/anthropic}
 * @param apiKey secret reference of the key injected as {@code x-api-key}: {@code env:NAME} or
 *     {@code file:PATH}; default {@code env:ANTHROPIC_API_KEY}
 * @param connectTimeout TCP connect (and TLS handshake) limit; past it: 502 {@code
 *     upstream_unavailable}
 * @param responseTimeout limit from the request being sent to the response head; past it: 504
 *     {@code upstream_timeout}. Non-streaming Messages calls can take minutes.
 * @param idleTimeout limit between two reads of a response body once it started; past it the
 *     exchange ends as an upstream failure (an SSE {@code error} event for streams)
 * @param poolIdleTimeout how long an unused keep-alive connection stays in the pool
 * @param caFile PEM file of extra CA certificates to trust for an https upstream (default: the
 *     JDK's trust store); hostname verification stays on either way
 * @param protocol {@code http/1.1} (the default: a pool of keep-alive connections, one exchange on
 *     each at a time) or {@code h2} (HTTP/2: each exchange a stream, many on one connection;
 *     negotiated by ALPN for https, spoken with prior knowledge for http)
 */
public record UpstreamConfig(
    URI url,
    String apiKey,
    Duration connectTimeout,
    Duration responseTimeout,
    Duration idleTimeout,
    Duration poolIdleTimeout,
    Path caFile,
    UpstreamFederationConfig federation,
    List<UpstreamRoute> routes,
    String protocol) {

  public static final URI DEFAULT_URL = URI.create("https://api.anthropic.com");
  public static final String DEFAULT_API_KEY = "env:ANTHROPIC_API_KEY";

  /** {@link #protocol()}: HTTP/1.1, one exchange per connection at a time (the default). */
  public static final String HTTP_1_1 = "http/1.1";

  /** {@link #protocol()}: HTTP/2, each exchange a stream of a shared connection. */
  public static final String H2 = "h2";

  public UpstreamConfig {
    url = url == null ? DEFAULT_URL : url;
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException(
          "url: '" + url + "' (expected an http:// or https:// URL)");
    }
    if (url.getHost() == null) {
      throw new IllegalArgumentException("url: '" + url + "' has no host");
    }
    if (url.getRawQuery() != null || url.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "url: '" + url + "' (expected a base URL without query or fragment)");
    }
    apiKey = apiKey == null ? DEFAULT_API_KEY : apiKey;
    connectTimeout = Durations.positive("connect_timeout", connectTimeout, Duration.ofSeconds(10));
    responseTimeout =
        Durations.positive("response_timeout", responseTimeout, Duration.ofMinutes(10));
    idleTimeout = Durations.positive("idle_timeout", idleTimeout, Duration.ofMinutes(5));
    poolIdleTimeout =
        Durations.positive("pool_idle_timeout", poolIdleTimeout, Duration.ofSeconds(60));
    routes = routes == null ? List.of() : List.copyOf(routes);
    protocol = protocol == null ? HTTP_1_1 : protocol;
    if (!protocol.equals(HTTP_1_1) && !protocol.equals(H2)) {
      throw new IllegalArgumentException(
          "protocol: '" + protocol + "' (expected " + HTTP_1_1 + " or " + H2 + ")");
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    for (UpstreamRoute route : routes) {
      if (!names.add(route.name())) {
        throw new IllegalArgumentException(
            "routes: '" + route.name() + "' is defined twice (expected unique names)");
      }
    }
  }

  public static UpstreamConfig defaults() {
    return new UpstreamConfig(null, null, null, null, null, null, null, null, null, null);
  }

  /** Whether exchanges are HTTP/2 streams ({@code protocol: h2}). */
  public boolean isHttp2() {
    return protocol.equals(H2);
  }

  public boolean isTls() {
    return "https".equalsIgnoreCase(url.getScheme());
  }

  public int port() {
    return url.getPort() != -1 ? url.getPort() : isTls() ? 443 : 80;
  }

  /** The base path without a trailing slash ({@code ""} for none). */
  public String basePath() {
    String path = url.getRawPath() == null ? "" : url.getRawPath();
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** The {@code host} header value for the upstream. */
  public String authority() {
    String host = url.getHost();
    boolean defaultPort = url.getPort() == -1 || url.getPort() == (isTls() ? 443 : 80);
    return defaultPort ? host : host + ':' + url.getPort();
  }

  public UpstreamConfig withUrl(URI url) {
    return new UpstreamConfig(
        url,
        apiKey,
        connectTimeout,
        responseTimeout,
        idleTimeout,
        poolIdleTimeout,
        caFile,
        federation,
        routes,
        protocol);
  }

  public UpstreamConfig withTimeouts(Duration connect, Duration response, Duration idle) {
    return new UpstreamConfig(
        url,
        apiKey,
        connect,
        response,
        idle,
        poolIdleTimeout,
        caFile,
        federation,
        routes,
        protocol);
  }

  public UpstreamConfig withCaFile(Path caFile) {
    return new UpstreamConfig(
        url,
        apiKey,
        connectTimeout,
        responseTimeout,
        idleTimeout,
        poolIdleTimeout,
        caFile,
        federation,
        routes,
        protocol);
  }

  public UpstreamConfig withFederation(UpstreamFederationConfig federation) {
    return new UpstreamConfig(
        url,
        apiKey,
        connectTimeout,
        responseTimeout,
        idleTimeout,
        poolIdleTimeout,
        caFile,
        federation,
        routes,
        protocol);
  }

  public UpstreamConfig withRoutes(List<UpstreamRoute> routes) {
    return new UpstreamConfig(
        url,
        apiKey,
        connectTimeout,
        responseTimeout,
        idleTimeout,
        poolIdleTimeout,
        caFile,
        federation,
        routes,
        protocol);
  }

  public UpstreamConfig withPoolIdleTimeout(Duration poolIdleTimeout) {
    return new UpstreamConfig(
        url,
        apiKey,
        connectTimeout,
        responseTimeout,
        idleTimeout,
        poolIdleTimeout,
        caFile,
        federation,
        routes,
        protocol);
  }

  public UpstreamConfig withProtocol(String protocol) {
    return new UpstreamConfig(
        url,
        apiKey,
        connectTimeout,
        responseTimeout,
        idleTimeout,
        poolIdleTimeout,
        caFile,
        federation,
        routes,
        protocol);
  }

  /** The token exchange endpoint of {@code federation} (its own, or the upstream's default). */
  public URI federationTokenUrl(UpstreamFederationConfig federation) {
    if (federation != null && federation.tokenUrl() != null) {
      return federation.tokenUrl();
    }
    return URI.create(
        url.getScheme() + "://" + url.getRawAuthority() + basePath() + "/v1/oauth/token");
  }
}
