package dev.jitgw.server.admin;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/** The admin listener's pipeline: small JSON requests, aggregated. */
public final class AdminInitializer extends ChannelInitializer<Channel> {
  public static final String HTTP_CODEC = "http-codec";
  public static final String AGGREGATOR = "aggregator";
  public static final String ROUTES = "routes";

  private final AdminHandler routes;
  private final ChannelGroup channels;

  public AdminInitializer(Readiness readiness, ChannelGroup channels) {
    this(readiness, channels, null, null, null, null, null, null, null, null);
  }

  public AdminInitializer(
      Readiness readiness,
      ChannelGroup channels,
      AdminAuthorizer authorizer,
      dev.jitgw.policy.token.RevocationList revocations,
      dev.jitgw.server.PolicyHolder policy,
      java.util.concurrent.Executor blocking,
      dev.jitgw.audit.store.AuditLog auditLog,
      dev.jitgw.server.metrics.GatewayMetrics metrics,
      dev.jitgw.policy.approval.ApprovalService approvals,
      DataDirectoryBackup backup) {
    this.routes =
        new AdminHandler(
            requireNonNull(readiness, "readiness"),
            authorizer,
            revocations,
            policy,
            blocking,
            auditLog,
            metrics,
            approvals,
            backup);
    this.channels = requireNonNull(channels, "channels");
  }

  @Override
  protected void initChannel(Channel ch) {
    channels.add(ch);
    ch.pipeline()
        .addLast(HTTP_CODEC, new HttpServerCodec())
        .addLast(AGGREGATOR, new HttpObjectAggregator(1024 * 1024))
        .addLast(ROUTES, routes);
  }
}
