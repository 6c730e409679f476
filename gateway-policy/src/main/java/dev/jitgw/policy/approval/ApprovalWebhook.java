package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells approvers that a request waits for them, and how approvals ended: a Slack-compatible
 * incoming-webhook POST, {@code {"text": "..."}}, with a link to the approval in the admin UI.
 *
 * <p>Sending never blocks the hold: the request is asynchronous ({@link HttpClient#sendAsync}), and
 * a failed attempt (no connection, a timeout, 429 or 5xx) is retried on the scheduler after each of
 * the retry delays (by default 1 s, 4 s and 16 s: four attempts), then given up and logged. Other
 * answers (a 4xx: a wrong or revoked URL) are not retried. The URL is a secret (it lets anyone post
 * to the channel): it is never logged, nor shown by {@link #toString()}.
 *
 * <p>The prompt preview is left out unless {@link Builder#includePreview(boolean)} asks for it: a
 * chat channel is read by more people than the approval queue.
 */
public final class ApprovalWebhook implements ApprovalListener {
  /** The default delays before the second, third and fourth attempts. */
  public static final List<Duration> DEFAULT_RETRY_DELAYS =
      List.of(Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ofSeconds(16));

  private static final Logger log = LoggerFactory.getLogger(ApprovalWebhook.class);
  private static final JsonFactory JSON = new JsonFactory();

  private final URI url;
  private final String adminBaseUrl;
  private final HttpClient client;
  private final ScheduledExecutorService scheduler;
  private final List<Duration> retryDelays;
  private final Duration requestTimeout;
  private final boolean includePreview;

  private ApprovalWebhook(Builder builder) {
    this.url = builder.url;
    this.adminBaseUrl = stripTrailingSlash(builder.adminBaseUrl.toString());
    this.client =
        builder.client != null
            ? builder.client
            : HttpClient.newBuilder().connectTimeout(builder.requestTimeout).build();
    this.scheduler = builder.scheduler;
    this.retryDelays = builder.retryDelays;
    this.requestTimeout = builder.requestTimeout;
    this.includePreview = builder.includePreview;
  }

  /**
   * @param url where to POST (resolved by the caller from a secret reference)
   * @param adminBaseUrl the admin listener's external base URL; links go to {@code
   *     <adminBaseUrl>/ui/approvals/<id>}
   * @param scheduler waits between attempts
   */
  public static Builder builder(URI url, URI adminBaseUrl, ScheduledExecutorService scheduler) {
    return new Builder(url, adminBaseUrl, scheduler);
  }

  @Override
  public void onCreated(Approval approval) {
    send(approval, createdText(approval));
  }

  @Override
  public void onDecided(Approval approval) {
    send(approval, decidedText(approval));
  }

  /** The admin UI page of an approval. */
  public String link(Approval approval) {
    return adminBaseUrl + "/ui/approvals/" + approval.id();
  }

  /**
   * Posts a message about {@code approval}; the future completes with whether an attempt succeeded,
   * after the last attempt at most. Never fails.
   */
  CompletableFuture<Boolean> send(Approval approval, String text) {
    byte[] payload = payload(text);
    CompletableFuture<Boolean> delivered = new CompletableFuture<>();
    attempt(approval.id(), payload, 0, delivered);
    return delivered;
  }

  private void attempt(
      String approvalId, byte[] payload, int attempt, CompletableFuture<Boolean> delivered) {
    HttpRequest request =
        HttpRequest.newBuilder(url)
            .timeout(requestTimeout)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
            .build();
    CompletableFuture<HttpResponse<Void>> response;
    try {
      response = client.sendAsync(request, HttpResponse.BodyHandlers.discarding());
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    response.whenComplete(
        (answer, failure) -> {
          if (failure == null && answer.statusCode() / 100 == 2) {
            delivered.complete(true);
            return;
          }
          // The failure's message may carry the URL (a secret): log its type only.
          String why =
              failure != null
                  ? (failure.getCause() != null ? failure.getCause() : failure)
                      .getClass()
                      .getSimpleName()
                  : "HTTP " + answer.statusCode();
          boolean retryable =
              failure != null || answer.statusCode() == 429 || answer.statusCode() >= 500;
          if (!retryable || attempt >= retryDelays.size()) {
            log.warn(
                "approval webhook for {} failed ({}) after {} attempt(s); giving up",
                approvalId,
                why,
                attempt + 1);
            delivered.complete(false);
            return;
          }
          Duration delay = retryDelays.get(attempt);
          log.info(
              "approval webhook for {} failed ({}); retrying in {} ms",
              approvalId,
              why,
              delay.toMillis());
          try {
            scheduler.schedule(
                () -> attempt(approvalId, payload, attempt + 1, delivered),
                delay.toMillis(),
                TimeUnit.MILLISECONDS);
          } catch (RejectedExecutionException e) {
            log.warn("approval webhook for {} not retried: the scheduler is shut down", approvalId);
            delivered.complete(false);
          }
        });
  }

  String createdText(Approval approval) {
    Approval.Request request = approval.request();
    StringBuilder text = new StringBuilder();
    text.append("Approval needed: ")
        .append(escape(approval.subjectDisplay()))
        .append(" sent ")
        .append(escape(request.method()))
        .append(' ')
        .append(escape(request.path()));
    if (!request.model().isEmpty()) {
      text.append(" to ").append(escape(request.model()));
    }
    text.append(" (rule ").append(escape(approval.rule())).append(")\n");
    StringBuilder facts = new StringBuilder();
    if (!request.tools().isEmpty()) {
      facts.append("tools: ").append(escape(String.join(", ", request.tools()))).append("; ");
    }
    if (!request.skills().isEmpty()) {
      facts.append("skills: ").append(escape(String.join(", ", request.skills()))).append("; ");
    }
    if (request.maxTokens() > 0) {
      facts.append("max_tokens: ").append(request.maxTokens()).append("; ");
    }
    facts
        .append("estimated cost: $")
        .append(String.format(Locale.ROOT, "%.2f", request.estimatedCostUsd()));
    text.append(facts).append('\n');
    if (includePreview && !request.preview().isEmpty()) {
      text.append("> ").append(escape(request.preview()).replace("\n", "\n> ")).append('\n');
    }
    text.append("Approvers: ")
        .append(escape(String.join(", ", approval.approvers())))
        .append(
            approval.minApprovals() > 1 ? " (" + approval.minApprovals() + " must approve)" : "")
        .append("; expires ")
        .append(approval.expiresAt())
        .append('\n')
        .append('<')
        .append(link(approval))
        .append('|')
        .append("Review ")
        .append(approval.id())
        .append('>');
    return text.toString();
  }

  String decidedText(Approval approval) {
    String how =
        switch (approval.state()) {
          case APPROVED ->
              "approved by "
                  + escape(
                      approval.decisions().stream()
                          .filter(v -> v.choice() == Approval.Choice.APPROVE)
                          .map(v -> v.approverDisplay() + " (\"" + v.reason() + "\")")
                          .collect(Collectors.joining(", ")));
          case DENIED ->
              approval
                  .denial()
                  .map(
                      v -> "denied by " + escape(v.approverDisplay() + " (\"" + v.reason() + "\")"))
                  .orElse("denied");
          case EXPIRED -> "expired: nobody decided in time";
          case ABANDONED -> "abandoned: the request's caller left";
          case PENDING -> "pending";
        };
    return "Approval <"
        + link(approval)
        + '|'
        + approval.id()
        + "> for "
        + escape(approval.subjectDisplay())
        + " (rule "
        + escape(approval.rule())
        + ") "
        + how;
  }

  private static byte[] payload(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + text.length());
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("text", text);
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Slack reads {@code <...>} as links and mentions ({@code <!channel>}) and {@code &} as the start
   * of an entity; escaping them keeps text from the request (a model name, a subject, a reason)
   * from pinging a channel or forging a link.
   */
  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String stripTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  @Override
  public String toString() {
    return "ApprovalWebhook{<url hidden>}";
  }

  /** Builds an {@link ApprovalWebhook}. */
  public static final class Builder {
    private final URI url;
    private final URI adminBaseUrl;
    private final ScheduledExecutorService scheduler;
    private HttpClient client;
    private List<Duration> retryDelays = DEFAULT_RETRY_DELAYS;
    private Duration requestTimeout = Duration.ofSeconds(10);
    private boolean includePreview;

    private Builder(URI url, URI adminBaseUrl, ScheduledExecutorService scheduler) {
      this.url = requireNonNull(url, "url");
      this.adminBaseUrl = requireNonNull(adminBaseUrl, "adminBaseUrl");
      this.scheduler = requireNonNull(scheduler, "scheduler");
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("https") && !scheme.equals("http")) {
        // The URL itself is a secret: name only what is wrong with it.
        throw new IllegalArgumentException(
            "webhook url: scheme '" + scheme + "' (expected: https)");
      }
    }

    /** The client to send with; by default one with a connect timeout of the request timeout. */
    public Builder httpClient(HttpClient client) {
      this.client = requireNonNull(client, "client");
      return this;
    }

    /** Delays before each retry; as many retries as delays. Empty: one attempt only. */
    public Builder retryDelays(List<Duration> retryDelays) {
      for (Duration delay : retryDelays) {
        if (delay.isNegative()) {
          throw new IllegalArgumentException("retry delay: " + delay + " (expected: >= 0)");
        }
      }
      this.retryDelays = List.copyOf(retryDelays);
      return this;
    }

    /** How long one attempt may take. Default 10 s. */
    public Builder requestTimeout(Duration requestTimeout) {
      requireNonNull(requestTimeout, "requestTimeout");
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException(
            "requestTimeout: " + requestTimeout + " (expected: > 0)");
      }
      this.requestTimeout = requestTimeout;
      return this;
    }

    /** Whether messages quote the (masked) prompt preview. Default false. */
    public Builder includePreview(boolean includePreview) {
      this.includePreview = includePreview;
      return this;
    }

    public ApprovalWebhook build() {
      return new ApprovalWebhook(this);
    }
  }
}
