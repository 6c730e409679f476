package dev.jitgw.server.it;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.HostPort;
import dev.jitgw.core.config.IdentityConfig;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.config.ShutdownConfig;
import dev.jitgw.core.config.UpstreamConfig;
import dev.jitgw.policy.testing.TestIdentityProvider;
import dev.jitgw.server.GatewayServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts a {@link FakeClaudeUpstream} and the real gateway in-process on free ports before a test
 * class (static field) or each test (instance field), and stops both after it.
 */
public final class GatewayHarness
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  /** The key the gateway injects upstream; callers never see it. */
  public static final String UPSTREAM_KEY = "sk-ant-test-upstream-key-0123456789";

  private final UnaryOperator<GatewayConfig> customizer;
  private final Map<String, String> environment = new HashMap<>();
  private TestIdentityProvider identityProvider;
  private FakeClaudeUpstream upstream;
  private GatewayServer gateway;
  private boolean perTest;
  private boolean http2;

  public GatewayHarness() {
    this(UnaryOperator.identity());
  }

  public GatewayHarness(UnaryOperator<GatewayConfig> customizer) {
    this.customizer = customizer;
    environment.put("ANTHROPIC_API_KEY", UPSTREAM_KEY);
  }

  /** A harness whose gateway has these upstream connect, response and idle timeouts. */
  public static GatewayHarness withUpstreamTimeouts(
      java.time.Duration connect, java.time.Duration response, java.time.Duration idle) {
    return new GatewayHarness(
        config -> config.withUpstream(config.upstream().withTimeouts(connect, response, idle)));
  }

  /** Runs the upstream as an HTTP/2-only server and the gateway with {@code protocol: h2}. */
  public GatewayHarness overHttp2() {
    http2 = true;
    return this;
  }

  /** Runs the gateway without an upstream key. */
  public GatewayHarness withoutUpstreamKey() {
    environment.remove("ANTHROPIC_API_KEY");
    return this;
  }

  /** Adds a variable to the environment the gateway reads (secret references, say). */
  public GatewayHarness withEnvironment(String name, String value) {
    environment.put(name, value);
    return this;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (gateway == null) {
      perTest = true;
      beforeAll(context);
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (perTest) {
      afterAll(context);
      gateway = null;
      upstream = null;
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    identityProvider = new TestIdentityProvider();
    upstream = http2 ? FakeClaudeUpstream.http2(null) : new FakeClaudeUpstream();
    GatewayConfig base = baseConfig(identityProvider, upstream.url());
    if (http2) {
      base = base.withUpstream(base.upstream().withProtocol(UpstreamConfig.H2));
    }
    gateway = GatewayServer.builder(customizer.apply(base)).environment(environment).start();
  }

  /** Loopback listeners on free ports, a short drain, the test issuer, the given upstream. */
  public static GatewayConfig baseConfig(
      TestIdentityProvider identityProvider, String upstreamUrl) {
    GatewayConfig base =
        GatewayConfig.defaults()
            .withDataDir(temporaryDataDir())
            .withListen(new HostPort("127.0.0.1", 0), new HostPort("127.0.0.1", 0))
            .withShutdown(new ShutdownConfig(Duration.ofSeconds(2)))
            .withIdentity(
                IdentityConfig.defaults()
                    .withIssuers(List.of(IssuerConfig.of(identityProvider.issuer()))));
    return base.withUpstream(base.upstream().withUrl(URI.create(upstreamUrl)));
  }

  private static java.nio.file.Path temporaryDataDir() {
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("jitgw-data");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (gateway != null) {
      gateway.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (identityProvider != null) {
      identityProvider.close();
    }
  }

  /** A Messages request for {@code model} (16 tokens at most, one user message "hi"). */
  public HttpRequest messagesRequest(String model, boolean stream) {
    return messagesRequest(baseUrl(), token(), model, stream);
  }

  /** {@link #messagesRequest(String, boolean)} to any gateway, with {@code token}. */
  public static HttpRequest messagesRequest(
      String baseUrl, String token, String model, boolean stream) {
    String body =
        "{\"model\":\""
            + model
            + "\",\"max_tokens\":16,\"stream\":"
            + stream
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    return HttpRequest.newBuilder(URI.create(baseUrl + "/v1/messages"))
        .header("authorization", "Bearer " + token)
        .header("content-type", "application/json")
        .header("anthropic-version", "2023-06-01")
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  public TestIdentityProvider identityProvider() {
    return identityProvider;
  }

  /** A fresh valid caller token (subject alice, 5 minutes). */
  public String token() {
    return identityProvider.token().sign();
  }

  /** {@code Authorization} header line for raw requests, with a fresh token. */
  public String authorizationLine() {
    return "Authorization: Bearer " + token() + "\r\n";
  }

  public FakeClaudeUpstream upstream() {
    return upstream;
  }

  public GatewayServer gateway() {
    return gateway;
  }

  public int port() {
    return gateway.dataPlaneAddress().getPort();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  public String adminUrl() {
    return "http://127.0.0.1:" + gateway.adminAddress().getPort();
  }

  /** The official SDK pointed at the gateway, without retries so each call is one exchange. */
  public AnthropicClient sdk() {
    return AnthropicOkHttpClient.builder()
        .baseUrl(baseUrl())
        .apiKey(token())
        .maxRetries(0)
        .timeout(Duration.ofSeconds(30))
        .build();
  }
}
