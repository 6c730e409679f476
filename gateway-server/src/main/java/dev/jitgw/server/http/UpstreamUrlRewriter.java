package dev.jitgw.server.http;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * Rewrites absolute upstream URLs in responses to the gateway's own (contract section 2): a batch's
 * {@code results_url} must lead back through the gateway, so that no download bypasses it. Only the
 * upstream's base URL as a prefix is replaced; everything after it is kept.
 */
public final class UpstreamUrlRewriter {
  private final String upstreamBase;

  /**
   * @param upstreamBase the upstream base URL, e.g. {@code https://api.anthropic.com}
   */
  public UpstreamUrlRewriter(String upstreamBase) {
    requireNonNull(upstreamBase, "upstreamBase");
    this.upstreamBase = stripSlash(upstreamBase);
  }

  /** Whether responses to this request path may carry upstream URLs worth rewriting. */
  public static boolean appliesTo(String method, String path, String contentType) {
    return path.startsWith("/v1/messages/batches")
        && contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("application/json");
  }

  /**
   * Replaces each {@code upstreamBase/} prefix in {@code text} (a JSON body or a header value) by
   * {@code gatewayBase/}. JSON that escapes its slashes ({@code https:\/\/...}) is handled too.
   */
  public String rewrite(String text, String gatewayBase) {
    String gateway = stripSlash(gatewayBase);
    String out = text.replace(upstreamBase + "/", gateway + "/");
    String escapedUpstream = upstreamBase.replace("/", "\\/");
    if (out.contains(escapedUpstream)) {
      out = out.replace(escapedUpstream + "\\/", gateway.replace("/", "\\/") + "\\/");
    }
    return out;
  }

  private static String stripSlash(String base) {
    return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
  }
}
