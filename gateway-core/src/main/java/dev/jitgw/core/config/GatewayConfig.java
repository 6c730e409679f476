package dev.jitgw.core.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The gateway's settings, bound from the YAML config file, environment variables and flags by
 * {@link ConfigLoader}. Every field has a default, so an empty file (or none) is a valid config.
 *
 * @param listen data-plane address ({@code JITGW_LISTEN})
 * @param adminListen admin API and UI address ({@code JITGW_ADMIN_LISTEN})
 * @param dataDir audit store, approvals, grants, budgets and signing keys ({@code JITGW_DATA_DIR})
 * @param policyFile policy YAML ({@code JITGW_POLICY_FILE}); absent: the built-in policy
 * @param publicUrl the gateway's base URL as callers reach it, used to rewrite absolute upstream
 *     URLs in responses (a batch's {@code results_url}); absent: {@code http://} plus the request's
 *     {@code Host}
 * @param tls TLS termination on the data plane (certificate and key files)
 * @param identity trusted token issuers and token limits
 * @param upstream the Claude API the gateway forwards to
 * @param http limits of the data-plane HTTP server
 * @param shutdown how SIGTERM drains
 * @param admin who may use the admin API
 * @param audit the audit log's checkpoints
 * @param pricing USD per million tokens by model, for cost estimates and budgets
 * @param approvals approval holds: notifications, links, abandon grace, history, pings
 */
public record GatewayConfig(
    HostPort listen,
    HostPort adminListen,
    Path dataDir,
    Path policyFile,
    URI publicUrl,
    TlsConfig tls,
    IdentityConfig identity,
    UpstreamConfig upstream,
    HttpConfig http,
    ShutdownConfig shutdown,
    AdminConfig admin,
    AuditConfig audit,
    PricingConfig pricing,
    ApprovalsConfig approvals) {

  public static final HostPort DEFAULT_LISTEN = new HostPort("0.0.0.0", 8080);
  public static final HostPort DEFAULT_ADMIN_LISTEN = new HostPort("127.0.0.1", 9090);

  public GatewayConfig {
    listen = listen == null ? DEFAULT_LISTEN : listen;
    adminListen = adminListen == null ? DEFAULT_ADMIN_LISTEN : adminListen;
    dataDir = dataDir == null ? Path.of("data") : dataDir;
    if (publicUrl != null
        && (publicUrl.getHost() == null
            || !("http".equalsIgnoreCase(publicUrl.getScheme())
                || "https".equalsIgnoreCase(publicUrl.getScheme())))) {
      throw new IllegalArgumentException(
          "public_url: '" + publicUrl + "' (expected an http:// or https:// URL)");
    }
    tls = tls == null ? TlsConfig.none() : tls;
    identity = identity == null ? IdentityConfig.defaults() : identity;
    upstream = upstream == null ? UpstreamConfig.defaults() : upstream;
    http = http == null ? HttpConfig.defaults() : http;
    shutdown = shutdown == null ? ShutdownConfig.defaults() : shutdown;
    admin = admin == null ? AdminConfig.defaults() : admin;
    audit = audit == null ? AuditConfig.defaults() : audit;
    pricing = pricing == null ? PricingConfig.defaults() : pricing;
    approvals = approvals == null ? ApprovalsConfig.defaults() : approvals;
  }

  public static GatewayConfig defaults() {
    return new GatewayConfig(
        null, null, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  public Optional<Path> policyFileIfSet() {
    return Optional.ofNullable(policyFile);
  }

  public GatewayConfig withListen(HostPort listen, HostPort adminListen) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }

  public GatewayConfig withDataDir(Path dataDir) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }

  public GatewayConfig withPolicyFile(Path policyFile) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }

  public GatewayConfig withAdmin(AdminConfig admin) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }

  public GatewayConfig withTls(TlsConfig tls) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }

  public GatewayConfig withIdentity(IdentityConfig identity) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }

  public GatewayConfig withUpstream(UpstreamConfig upstream) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }

  public GatewayConfig withHttp(HttpConfig http) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }

  public GatewayConfig withShutdown(ShutdownConfig shutdown) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }

  public GatewayConfig withApprovals(ApprovalsConfig approvals) {
    return new GatewayConfig(
        listen,
        adminListen,
        dataDir,
        policyFile,
        publicUrl,
        tls,
        identity,
        upstream,
        http,
        shutdown,
        admin,
        audit,
        pricing,
        approvals);
  }
}
