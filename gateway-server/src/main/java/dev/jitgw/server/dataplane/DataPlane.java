package dev.jitgw.server.dataplane;

import static java.util.Objects.requireNonNull;

import dev.jitgw.audit.store.AuditLog;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.stage.LocalEndpoint;
import dev.jitgw.core.stage.RequestStage;
import dev.jitgw.policy.approval.ApprovalService;
import dev.jitgw.policy.masking.PseudonymKey;
import dev.jitgw.server.metrics.GatewayMetrics;
import dev.jitgw.server.upstream.UpstreamClient;
import java.time.Clock;
import java.util.List;

/**
 * What every data-plane connection shares: settings, the request stages in order, the upstream
 * client and the in-flight counter.
 *
 * @param headStages run on the request head, before the body is read (authentication)
 * @param stages run once the whole body is buffered (policy, audit, limits, credential)
 * @param localEndpoints routes under {@code /v1/} the gateway answers itself
 * @param audit where every exchange that reached the policy is recorded
 * @param approvals holds requests an {@code approve} rule matched; null: such requests are denied
 * @param pseudonyms the gateway secret for masking pseudonyms; null: {@code pseudonym} profiles
 *     mask
 */
public record DataPlane(
    GatewayConfig config,
    List<RequestStage> headStages,
    List<RequestStage> stages,
    List<LocalEndpoint> localEndpoints,
    UpstreamClient upstream,
    ExchangeTracker tracker,
    AuditLog audit,
    GatewayMetrics metrics,
    ApprovalService approvals,
    Clock clock,
    PseudonymKey pseudonyms) {

  public DataPlane {
    requireNonNull(config, "config");
    headStages = List.copyOf(headStages);
    stages = List.copyOf(stages);
    localEndpoints = List.copyOf(localEndpoints);
    requireNonNull(upstream, "upstream");
    requireNonNull(tracker, "tracker");
    requireNonNull(audit, "audit");
    requireNonNull(metrics, "metrics");
    requireNonNull(clock, "clock");
  }

  /** Without a pseudonym key: {@code pseudonym} masking profiles mask instead. */
  public DataPlane(
      GatewayConfig config,
      List<RequestStage> headStages,
      List<RequestStage> stages,
      List<LocalEndpoint> localEndpoints,
      UpstreamClient upstream,
      ExchangeTracker tracker,
      AuditLog audit,
      GatewayMetrics metrics,
      ApprovalService approvals,
      Clock clock) {
    this(
        config,
        headStages,
        stages,
        localEndpoints,
        upstream,
        tracker,
        audit,
        metrics,
        approvals,
        clock,
        null);
  }
}
