package dev.jitgw.server;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.util.DefaultResourceRetriever;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.config.ApprovalsConfig;
import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.config.UpstreamFederationConfig;
import dev.jitgw.core.config.UpstreamRoute;
import dev.jitgw.core.credential.SecretRef;
import dev.jitgw.core.credential.UpstreamCredentials;
import dev.jitgw.core.exchange.RequestSummaryParser;
import dev.jitgw.core.stage.RequestStage;
import dev.jitgw.policy.approval.ApprovalService;
import dev.jitgw.policy.approval.ApprovalWebhook;
import dev.jitgw.policy.approval.FileApprovalStore;
import dev.jitgw.policy.approval.FileGrantStore;
import dev.jitgw.policy.credential.ApiKeyCredentials;
import dev.jitgw.policy.credential.CredentialStage;
import dev.jitgw.policy.credential.FederatedUpstreamCredentials;
import dev.jitgw.policy.credential.RoutedCredentials;
import dev.jitgw.policy.identity.AuthenticationStage;
import dev.jitgw.policy.identity.TokenVerifier;
import dev.jitgw.policy.limits.LimitEnforcer;
import dev.jitgw.policy.limits.LimitStage;
import dev.jitgw.policy.limits.SnapshotLimitStore;
import dev.jitgw.policy.masking.PseudonymKey;
import dev.jitgw.policy.rules.PolicyStage;
import dev.jitgw.policy.token.GatewayTokenIssuer;
import dev.jitgw.policy.token.InMemoryRevocationList;
import dev.jitgw.policy.token.RevocationList;
import dev.jitgw.policy.token.SigningKeyStore;
import dev.jitgw.policy.token.TokenEndpoint;
import dev.jitgw.server.admin.AdminAuthorizer;
import dev.jitgw.server.admin.AdminInitializer;
import dev.jitgw.server.admin.DataDirectoryBackup;
import dev.jitgw.server.admin.Readiness;
import dev.jitgw.server.approval.ApprovalAudit;
import dev.jitgw.server.dataplane.DataPlane;
import dev.jitgw.server.dataplane.DataPlaneInitializer;
import dev.jitgw.server.dataplane.DrainEvent;
import dev.jitgw.server.dataplane.ExchangeTracker;
import dev.jitgw.server.metrics.GatewayMetrics;
import dev.jitgw.server.tls.ReloadingServerTls;
import dev.jitgw.server.upstream.TrustFiles;
import dev.jitgw.server.upstream.UpstreamClient;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: data plane, admin listener, upstream client and the executors behind them.
 *
 * <p>Shutdown order ({@link #close()}): readiness turns false, the data-plane listener stops
 * accepting, idle connections close, in-flight exchanges drain up to {@code
 * shutdown.drain_timeout}, the rest are closed, then the admin listener, the upstream pools and the
 * event loops stop, and last the audit log (which signs a final checkpoint).
 */
public final class GatewayServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

  private final GatewayConfig config;
  private final EventLoopGroup acceptGroup;
  private final EventLoopGroup ioGroup;
  private final ScheduledExecutorService blocking;

  /** Token verification off the event loops: signature checks that may fetch an issuer's keys. */
  private final ExecutorService identityExecutor;

  private final List<AutoCloseable> resources;
  private final UpstreamClient upstream;
  private final ExchangeTracker tracker;
  private final ChannelGroup dataChannels;
  private final ChannelGroup adminChannels;
  private final Channel dataListener;
  private final Channel adminListener;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private final PolicyHolder policy;
  private RocksAuditLog auditLog;
  private GatewayMetrics metrics;
  private ApprovalService approvals;

  private GatewayServer(Builder builder) {
    this.config = builder.config;
    if (config.identity().issuers().isEmpty()) {
      // Fail closed: with no trusted issuer every caller would be refused, or worse, let in.
      throw new ConfigException(
          "no trusted token issuer: set JITGW_OIDC_ISSUER (or identity.issuers in the config"
              + " file); callers must present a short-lived JWT from it");
    }
    this.policy = new PolicyHolder(config);
    log.info(
        "policy {} version {}: {} rule(s)",
        policy.get().source(),
        policy.get().version(),
        policy.get().rules().size());
    Transport transport = Transport.best();
    int threads =
        config.http().workerThreads() > 0
            ? config.http().workerThreads()
            : Runtime.getRuntime().availableProcessors();
    this.acceptGroup = transport.newGroup(1, "jitgw-accept");
    this.ioGroup = transport.newGroup(threads, "jitgw-io");
    this.blocking =
        Executors.newScheduledThreadPool(2, new DefaultThreadFactory("jitgw-blocking", true));
    this.identityExecutor =
        Executors.newFixedThreadPool(
            Math.max(2, threads), new DefaultThreadFactory("jitgw-identity", true));
    this.resources = new ArrayList<>();
    this.tracker = new ExchangeTracker();
    this.dataChannels = new DefaultChannelGroup("data-plane", GlobalEventExecutor.INSTANCE);
    this.adminChannels = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);
    try {
      UpstreamCredentials credentials = builder.credentials;
      if (credentials == null) {
        credentials =
            startCredentials(
                "default", config.upstream().apiKey(), config.upstream().federation(), builder);
      }
      Map<String, UpstreamCredentials> routes = new LinkedHashMap<>();
      for (UpstreamRoute route : config.upstream().routes()) {
        routes.put(
            route.name(),
            startCredentials(route.name(), route.apiKey(), route.federation(), builder));
      }
      if (!routes.isEmpty()) {
        credentials = new RoutedCredentials(credentials, routes);
      }
      this.auditLog = openAuditLog(config, builder.clock);
      this.metrics = new GatewayMetrics(config.pricing().priceTable());
      metrics.bindAudit(auditLog, builder.clock);
      this.upstream = new UpstreamClient(config.upstream(), transport, blocking);
      SigningKeyStore signingKeys =
          SigningKeyStore.open(config.dataDir().resolve("keys"), builder.clock);
      ScheduledFuture<?> keyRefresh =
          blocking.scheduleWithFixedDelay(signingKeys::refresh, 10, 10, TimeUnit.SECONDS);
      resources.add(() -> keyRefresh.cancel(false));
      RevocationList revocations = new InMemoryRevocationList(builder.clock);
      IssuerConfig gatewayIssuer =
          IssuerConfig.of(config.identity().tokenIssuer())
              .withTokenRules(Duration.ofHours(1), List.of("at+jwt"), false);
      TokenVerifier verifier =
          new TokenVerifier(
              config.identity(),
              identityExecutor,
              builder.clock,
              new DefaultResourceRetriever(5_000, 5_000, 512 * 1024),
              new TokenVerifier.LocalIssuer(
                  gatewayIssuer,
                  (selector, context) -> selector.select(signingKeys.publicKeys()),
                  revocations::isRevoked),
              metrics::jwksFetch);
      List<RequestStage> headStages = List.of(new AuthenticationStage(verifier));
      PolicyHolder enforced = policy;
      if (policy.fromFile()) {
        ScheduledFuture<?> policyWatch =
            blocking.scheduleWithFixedDelay(policy::reloadIfChanged, 2, 2, TimeUnit.SECONDS);
        resources.add(() -> policyWatch.cancel(false));
      }
      SnapshotLimitStore limitStore =
          SnapshotLimitStore.open(
              config.dataDir().resolve("limits"), builder.clock, blocking, Duration.ofSeconds(5));
      resources.add(limitStore);
      LimitEnforcer limits =
          new LimitEnforcer(limitStore, config.pricing().priceTable(), builder.clock);
      this.approvals = startApprovals(config, builder, auditLog, policy, blocking, resources);
      metrics.bindApprovals(approvals);
      List<RequestStage> stages =
          List.of(
              new PolicyStage(
                  enforced, new RequestSummaryParser(config.pricing().priceTable()), builder.clock),
              new LimitStage(
                  limits,
                  (exchange, reservation) ->
                      exchange.attr(LimitStage.RESERVATION).set(reservation)),
              new CredentialStage(credentials));
      TokenEndpoint tokenEndpoint =
          new TokenEndpoint(
              verifier,
              enforced,
              new GatewayTokenIssuer(
                  config.identity().tokenIssuer(), gatewayIssuer.audience(), signingKeys),
              builder.clock);
      DataPlane dataPlane =
          new DataPlane(
              config,
              headStages,
              stages,
              List.of(tokenEndpoint),
              upstream,
              tracker,
              auditLog,
              metrics,
              approvals,
              builder.clock,
              // One gateway per data dir (the audit log above holds its lock), so one writer.
              PseudonymKey.openOrCreate(config.dataDir().resolve("masking-key")));

      Supplier<SslContext> tls = null;
      if (config.tls().enabled()) {
        ReloadingServerTls serverTls =
            ReloadingServerTls.start(config.tls(), blocking, builder.tlsCheckInterval);
        resources.add(serverTls);
        tls = serverTls::current;
      }

      Readiness readiness = new Readiness();
      readiness.register("accepting", () -> !tracker.isDraining());
      RocksAuditLog audit = auditLog;
      readiness.register("audit", audit::healthy);

      this.dataListener =
          new ServerBootstrap()
              .group(acceptGroup, ioGroup)
              .channel(transport.serverChannel())
              .option(ChannelOption.SO_BACKLOG, 1024)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.AUTO_READ, false)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(new DataPlaneInitializer(dataPlane, dataChannels, tls))
              .bind(config.listen().toSocketAddress())
              .syncUninterruptibly()
              .channel();
      this.adminListener =
          new ServerBootstrap()
              .group(acceptGroup, ioGroup)
              .channel(transport.serverChannel())
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new AdminInitializer(
                      readiness,
                      adminChannels,
                      new AdminAuthorizer(verifier, config.admin().groups()),
                      revocations,
                      policy,
                      blocking,
                      auditLog,
                      metrics,
                      approvals,
                      new DataDirectoryBackup(config.dataDir(), auditLog, builder.clock)))
              .bind(config.adminListen().toSocketAddress())
              .syncUninterruptibly()
              .channel();
    } catch (Throwable e) {
      // Netty rethrows a failed bind's checked exception unchecked: catch everything, so that
      // what was started (event loops, the audit store) is stopped whatever failed.
      shutdownExecutors();
      if (e instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(
          "cannot start (listen "
              + config.listen()
              + ", admin_listen "
              + config.adminListen()
              + "): "
              + e,
          e);
    }
    log.info(
        "trusted issuers: {}", config.identity().issuers().stream().map(i -> i.issuer()).toList());
    log.info(
        "jitgw listening: data plane {} (upstream {}), admin {} [{}]",
        dataPlaneAddress(),
        config.upstream().url(),
        adminAddress(),
        transport);
  }

  /**
   * Opens the approval and grant stores in {@code {data_dir}/approvals} and the approval service
   * over them: every step recorded in the audit log, announced to the webhook when one is
   * configured. Approvals that were pending when the gateway last stopped are abandoned (their
   * callers are gone) and recorded so.
   */
  private static ApprovalService startApprovals(
      GatewayConfig config,
      Builder builder,
      RocksAuditLog auditLog,
      PolicyHolder policy,
      ScheduledExecutorService scheduler,
      List<AutoCloseable> resources) {
    ApprovalsConfig settings = config.approvals();
    java.nio.file.Path directory = config.dataDir().resolve("approvals");
    ExecutorService writer =
        Executors.newSingleThreadExecutor(new DefaultThreadFactory("jitgw-approvals", true));
    resources.add(writer::shutdown);
    FileApprovalStore store =
        FileApprovalStore.open(directory, builder.clock, writer, settings.history());
    FileGrantStore grants = FileGrantStore.open(directory, builder.clock, writer);
    ApprovalAudit approvalAudit = new ApprovalAudit(auditLog);
    ApprovalService service =
        ApprovalService.builder(store, grants, scheduler)
            .clock(builder.clock)
            .abandonGrace(settings.abandonGrace())
            .previewMasker(
                text ->
                    policy
                        .get()
                        .masking()
                        .profile(List.of(PolicyStage.HELD_MASKING))
                        .masker()
                        .mask(text)
                        .text())
            .listener(approvalAudit)
            .build();
    // Closed in this order after the data plane stopped: the service, then its stores.
    resources.add(0, grants);
    resources.add(0, store);
    resources.add(0, service);
    // Recorded before anything else can fail: the store already wrote them as abandoned.
    approvalAudit.abandonedAtOpen(store.abandonedAtOpen());
    if (!store.abandonedAtOpen().isEmpty()) {
      log.info(
          "{} approval(s) pending at the last stop are abandoned", store.abandonedAtOpen().size());
    }
    if (settings.webhook() != null) {
      String url =
          SecretRef.parse(settings.webhook().url(), builder.environment)
              .resolve()
              .orElseThrow(
                  () ->
                      new ConfigException(
                          "approvals.webhook.url: "
                              + settings.webhook().url()
                              + " is not set (the webhook URL is read from it)"));
      URI adminBase =
          settings.adminUrl() != null
              ? settings.adminUrl()
              : URI.create("http://" + config.adminListen());
      URI webhookUrl;
      try {
        webhookUrl = URI.create(url.strip());
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            "approvals.webhook.url: " + settings.webhook().url() + " does not hold a URL");
      }
      service.addListener(
          ApprovalWebhook.builder(webhookUrl, adminBase, scheduler)
              .includePreview(settings.webhook().includePreview())
              .build());
    }
    return service;
  }

  /**
   * Opens the audit log in the data directory; a store that fails its start-up checks (a rollback,
   * a tree that does not match its last checkpoint) stops the gateway from starting.
   */
  private static RocksAuditLog openAuditLog(GatewayConfig config, Clock clock) {
    try {
      RocksAuditLog opened =
          RocksAuditLog.open(
              RocksAuditLog.Settings.inDataDirectory(
                  config.dataDir(),
                  config.audit().origin(),
                  config.audit().checkpointInterval(),
                  clock));
      log.info(
          "audit log {}: {} record(s); checkpoints signed by {}",
          config.dataDir().resolve("audit"),
          opened.size(),
          opened.verifierKey());
      return opened;
    } catch (IOException e) {
      throw new IllegalStateException("audit log: " + e.getMessage(), e);
    }
  }

  /** The approval service, for tests. */
  public ApprovalService approvals() {
    return approvals;
  }

  /** The audit log, for the admin API and tests. */
  public RocksAuditLog auditLog() {
    return auditLog;
  }

  /**
   * The credential of one upstream route (the default one or a named one): keyless federation when
   * configured, else the API key behind the secret reference.
   */
  private UpstreamCredentials startCredentials(
      String route, String apiKeyRef, UpstreamFederationConfig federation, Builder builder) {
    if (federation != null) {
      URI tokenUrl = config.upstream().federationTokenUrl(federation);
      FederatedUpstreamCredentials federated =
          FederatedUpstreamCredentials.start(
              federation,
              tokenUrl,
              TrustFiles.httpClient(config.upstream().caFile(), config.upstream()),
              blocking,
              builder.clock);
      resources.add(federated);
      log.info("upstream route {}: keyless, access tokens from {}", route, tokenUrl);
      return federated;
    }
    ApiKeyCredentials apiKey =
        ApiKeyCredentials.start(
            SecretRef.parse(apiKeyRef, builder.environment), blocking, Duration.ofSeconds(1));
    resources.add(apiKey);
    if (!apiKey.isConfigured()) {
      log.warn(
          "upstream route {}: {} resolves to nothing; its requests are refused with 503 until"
              + " it does",
          route,
          apiKeyRef);
    }
    return apiKey;
  }

  public static Builder builder(GatewayConfig config) {
    return new Builder(config);
  }

  public GatewayConfig config() {
    return config;
  }

  public InetSocketAddress dataPlaneAddress() {
    return (InetSocketAddress) dataListener.localAddress();
  }

  public InetSocketAddress adminAddress() {
    return (InetSocketAddress) adminListener.localAddress();
  }

  /** Exchanges in flight right now. */
  public int activeExchanges() {
    return tracker.active();
  }

  /** Completes when {@link #close()} has finished. */
  public CompletableFuture<Void> terminationFuture() {
    return terminated;
  }

  /** Drains and stops; safe to call more than once and from any thread but an event loop. */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      terminated.join();
      return;
    }
    Duration deadline = config.shutdown().drainTimeout();
    log.info("shutting down: draining {} exchange(s) for up to {}", tracker.active(), deadline);
    CompletableFuture<Void> drained = tracker.drain();
    dataListener.close().syncUninterruptibly();
    for (Channel ch : dataChannels) {
      ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE));
    }
    if (approvals != null) {
      // Held requests end now (503 shutting_down) rather than at the drain deadline.
      approvals.close();
    }
    try {
      drained.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn(
          "drain deadline passed with {} exchange(s) in flight; closing them", tracker.active());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      log.warn("drain failed", e);
    }
    dataChannels.close().awaitUninterruptibly();
    adminListener.close().syncUninterruptibly();
    adminChannels.close().awaitUninterruptibly();
    upstream.close();
    shutdownExecutors();
    log.info("jitgw stopped");
    terminated.complete(null);
  }

  private void shutdownExecutors() {
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("closing {} failed", resource, e);
      }
    }
    ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    // Last: the event loops have recorded how their exchanges ended; then the final checkpoint.
    if (auditLog != null) {
      auditLog.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    blocking.shutdownNow();
    identityExecutor.shutdownNow();
  }

  /** Builds and starts a {@link GatewayServer}. */
  public static final class Builder {
    private final GatewayConfig config;
    private Map<String, String> environment = System.getenv();
    private UpstreamCredentials credentials;
    private Clock clock = Clock.systemUTC();
    private Duration tlsCheckInterval = Duration.ofSeconds(5);

    private Builder(GatewayConfig config) {
      this.config = requireNonNull(config, "config");
    }

    /** Where {@code env:} secret references are resolved; the process environment by default. */
    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(requireNonNull(environment, "environment"));
      return this;
    }

    /** Overrides the upstream credential source (default: the API key secret reference). */
    public Builder credentials(UpstreamCredentials credentials) {
      this.credentials = requireNonNull(credentials, "credentials");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** How often the data-plane certificate and key files are checked for changes. */
    public Builder tlsCheckInterval(Duration interval) {
      this.tlsCheckInterval = requireNonNull(interval, "interval");
      return this;
    }

    /** Binds both listeners; fails if either address is taken. */
    public GatewayServer start() {
      return new GatewayServer(this);
    }
  }
}
