package dev.jitgw.core.config;

import java.net.URI;
import java.nio.file.Path;

/**
 * Keyless upstream: instead of a static API key, the gateway exchanges its own workload identity
 * token for a short-lived upstream access token (RFC 7523 jwt-bearer, the upstream's {@code
 * /v1/oauth/token}), the same exchange the official SDKs perform.
 *
 * @param identityTokenFile the gateway's own identity token (e.g. a projected Kubernetes service
 *     account token), re-read for every exchange
 * @param federationRuleId the upstream federation rule that admits that identity
 * @param organizationId the upstream organization
 * @param serviceAccountId optional upstream service account
 * @param workspaceId optional workspace, when the rule spans several
 * @param tokenUrl the exchange endpoint; default {@code {upstream.url}/v1/oauth/token}
 */
public record UpstreamFederationConfig(
    Path identityTokenFile,
    String federationRuleId,
    String organizationId,
    String serviceAccountId,
    String workspaceId,
    URI tokenUrl) {

  public UpstreamFederationConfig {
    if (identityTokenFile == null) {
      throw new IllegalArgumentException("identity_token_file: missing");
    }
    if (federationRuleId == null || federationRuleId.isBlank()) {
      throw new IllegalArgumentException("federation_rule_id: missing");
    }
    if (organizationId == null || organizationId.isBlank()) {
      throw new IllegalArgumentException("organization_id: missing");
    }
  }
}
