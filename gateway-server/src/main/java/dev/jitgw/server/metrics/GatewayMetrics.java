package dev.jitgw.server.metrics;

import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.exchange.PriceTable;
import dev.jitgw.policy.limits.CostMeter;
import dev.jitgw.policy.limits.Usage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's Prometheus metrics (Micrometer), served at {@code GET /metrics} on the admin
 * listener. Labels are bounded: routes are a fixed set, models are reduced to the price table's
 * families ({@code other} for the rest), statuses are HTTP codes, groups come from the issuers.
 */
public final class GatewayMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<PriceTable.Price> families;
  private final CostMeter costs;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Timer upstreamHead;
  private final Timer gatewayAdded;
  private final Timer auditRequestRecord;

  // The per-exchange counters (requests, tokens, spend, masking hits), kept by their tag values
  // rather than built and looked up in the registry each time (Tags.and and the registry lookup
  // were most of countExchange in a perf profile under load). Meters are never removed.
  private final ConcurrentMap<String, Counter> requests = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter[]> tokens = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> spend = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> hits = new ConcurrentHashMap<>();

  public GatewayMetrics(PriceTable prices) {
    this.families = prices.prices();
    this.costs = new CostMeter(prices);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    gc.bindTo(registry);
    this.upstreamHead =
        Timer.builder("jitgw.upstream.response.head")
            .description("From the request sent upstream to the response head (time to first byte)")
            .publishPercentileHistogram()
            .register(registry);
    this.gatewayAdded =
        Timer.builder("jitgw.gateway.added")
            .description(
                "From the request read whole to the request sent upstream: policy, limits,"
                    + " credential and the durable audit record")
            .publishPercentileHistogram()
            .register(registry);
    this.auditRequestRecord =
        Timer.builder("jitgw.audit.request.record")
            .description("Wait for the durable request record (group-committed fsync)")
            .publishPercentileHistogram()
            .register(registry);
  }

  /** Requests waiting for an approval on this node (retries that joined one count each). */
  public void bindApprovals(dev.jitgw.policy.approval.ApprovalService approvals) {
    Gauge.builder(
            "jitgw.approvals.waiting",
            approvals,
            dev.jitgw.policy.approval.ApprovalService::waiting)
        .description("Requests held for an approval on this node")
        .register(registry);
  }

  /** Gauges over the audit log: records, health, writer queue, checkpoint age. */
  public void bindAudit(RocksAuditLog auditLog, Clock clock) {
    Gauge.builder("jitgw.audit.tree.size", auditLog, RocksAuditLog::size)
        .description("Durable records in the audit log")
        .register(registry);
    Gauge.builder("jitgw.audit.healthy", auditLog, log -> log.healthy() ? 1 : 0)
        .description("1 while the audit log accepts writes")
        .register(registry);
    Gauge.builder("jitgw.audit.queue.depth", auditLog, RocksAuditLog::queueDepth)
        .description("Submissions waiting for the audit writer")
        .register(registry);
    Gauge.builder(
            "jitgw.audit.checkpoint.age",
            auditLog,
            log ->
                log.lastCheckpointAt()
                    .map(at -> Duration.between(at, clock.instant()).toMillis() / 1000.0)
                    .orElse(Double.NaN))
        .description("Seconds since this process last signed a checkpoint")
        .baseUnit("seconds")
        .register(registry);
  }

  /** One exchange ended. */
  public void exchange(String path, String decision, int status, String model, String outcome) {
    String route = route(path);
    String family = family(model);
    String key = route + '\n' + decision + '\n' + status + '\n' + family + '\n' + outcome;
    requests
        .computeIfAbsent(
            key,
            k ->
                Counter.builder("jitgw.requests")
                    .description(
                        "Exchanges by route, policy decision, status, model family and outcome")
                    .tag("route", route)
                    .tag("decision", decision)
                    .tag("status", Integer.toString(status))
                    .tag("model", family)
                    .tag("outcome", outcome)
                    .register(registry))
        .increment();
  }

  public void upstreamHead(long nanos) {
    upstreamHead.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void gatewayAdded(long nanos) {
    gatewayAdded.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void auditRequestRecord(long nanos) {
    auditRequestRecord.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Tokens the upstream reported, by direction and the identity's groups. */
  public void tokens(List<String> groups, long input, long output) {
    for (String group : groups.isEmpty() ? List.of("none") : groups) {
      Counter[] counters =
          tokens.computeIfAbsent(
              group,
              g ->
                  new Counter[] {
                    Counter.builder("jitgw.tokens")
                        .description(
                            "Tokens the upstream reported, by direction and identity group")
                        .tag("direction", "in")
                        .tag("group", g)
                        .register(registry),
                    Counter.builder("jitgw.tokens")
                        .tag("direction", "out")
                        .tag("group", g)
                        .register(registry)
                  });
      counters[0].increment(input);
      counters[1].increment(output);
    }
  }

  /**
   * What the upstream's reported usage costs at the configured list prices, by identity group
   * ({@code jitgw_cost_usd_total}): the spend the {@code cost_per_day_usd} budgets count, so a
   * dashboard shows each team's use of its budget over the day.
   */
  public void cost(List<String> groups, String model, Usage usage) {
    double usd = costs.actualMicros(model == null ? "" : model, usage) / 1_000_000.0;
    for (String group : groups.isEmpty() ? List.of("none") : groups) {
      spend
          .computeIfAbsent(
              group,
              g ->
                  Counter.builder("jitgw.cost.usd")
                      .description(
                          "Spend at list prices of the usage the upstream reported, by identity"
                              + " group")
                      .tag("group", g)
                      .register(registry))
          .increment(usd);
    }
  }

  /** Values masked in responses, by detector (never the values themselves). */
  public void masked(Map<String, Long> counts) {
    counts.forEach(
        (detector, count) ->
            hits.computeIfAbsent(
                    detector,
                    d ->
                        Counter.builder("jitgw.masking.hits")
                            .description("Values masked in responses, by detector")
                            .tag("detector", d)
                            .register(registry))
                .increment(count));
  }

  /**
   * One fetch of a trusted issuer's key set ({@code jitgw_jwks_refreshes_total}); a failed OIDC
   * discovery counts as a failure. Issuers come from the configuration, so the label is bounded.
   */
  public void jwksFetch(String issuer, boolean success) {
    Counter.builder("jitgw.jwks.refreshes")
        .description("Fetches of a trusted issuer's key set (JWKS), by issuer and outcome")
        .tag("issuer", issuer)
        .tag("outcome", success ? "success" : "failure")
        .register(registry)
        .increment();
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  static String route(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    int query = p.indexOf('?');
    if (query >= 0) {
      p = p.substring(0, query);
    }
    if (p.equals("/v1/messages")) {
      return "messages";
    }
    if (p.equals("/v1/messages/count_tokens")) {
      return "count_tokens";
    }
    if (p.startsWith("/v1/messages/batches")) {
      return "batches";
    }
    if (p.startsWith("/v1/models")) {
      return "models";
    }
    if (p.startsWith("/v1/oauth/")) {
      return "token";
    }
    return "other";
  }

  private String family(String model) {
    if (model == null || model.isEmpty()) {
      return "none";
    }
    String lower = model.toLowerCase(Locale.ROOT);
    for (PriceTable.Price price : families) {
      if (lower.startsWith(price.modelPrefix())) {
        return price.modelPrefix();
      }
    }
    return "other";
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
