package dev.jitgw.core.config;

import java.net.URI;
import java.time.Duration;

/**
 * Approval holds (contract section 5, docs/approvals.md).
 *
 * @param webhook where new approvals and decisions are announced; none by default
 * @param adminUrl the admin UI's base URL as approvers reach it, for links in notifications; {@code
 *     http://} plus {@code admin_listen} when unset
 * @param abandonGrace how long an approval nobody waits for any more stays joinable by a retry
 * @param history decided approvals kept in the store
 * @param pingInterval how often a held streaming request is sent an SSE {@code ping}
 */
public record ApprovalsConfig(
    Webhook webhook, URI adminUrl, Duration abandonGrace, Integer history, Duration pingInterval) {

  public static final Duration DEFAULT_ABANDON_GRACE = Duration.ofSeconds(30);
  public static final int DEFAULT_HISTORY = 10_000;
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(15);

  /**
   * @param url secret reference ({@code env:NAME} or {@code file:PATH}) of the incoming-webhook
   *     URL: whoever holds the URL can post to the channel, so a literal URL is refused
   * @param includePreview whether messages quote the masked prompt preview
   */
  public record Webhook(String url, Boolean includePreview) {
    public Webhook {
      if (url == null || url.isBlank()) {
        throw new IllegalArgumentException("url: missing (expected env:NAME or file:PATH)");
      }
      url = url.strip();
      if (!url.startsWith("env:") && !url.startsWith("file:")) {
        throw new IllegalArgumentException(
            "url: a literal URL is refused, the webhook URL is a secret (expected env:NAME or"
                + " file:PATH)");
      }
      includePreview = includePreview != null && includePreview;
    }
  }

  public ApprovalsConfig {
    if (adminUrl != null
        && (adminUrl.getHost() == null
            || !("http".equalsIgnoreCase(adminUrl.getScheme())
                || "https".equalsIgnoreCase(adminUrl.getScheme())))) {
      throw new IllegalArgumentException(
          "admin_url: '" + adminUrl + "' (expected an http:// or https:// URL)");
    }
    if (abandonGrace == null) {
      abandonGrace = DEFAULT_ABANDON_GRACE;
    } else if (abandonGrace.isNegative()) {
      throw new IllegalArgumentException("abandon_grace: " + abandonGrace + " (expected: >= 0s)");
    }
    if (history == null) {
      history = DEFAULT_HISTORY;
    } else if (history < 1) {
      throw new IllegalArgumentException("history: " + history + " (expected: >= 1)");
    }
    pingInterval = Durations.positive("ping_interval", pingInterval, DEFAULT_PING_INTERVAL);
  }

  public static ApprovalsConfig defaults() {
    return new ApprovalsConfig(null, null, null, null, null);
  }
}
