package dev.jitgw.policy.approval;

import static dev.jitgw.policy.approval.Fixtures.ADMINS;
import static dev.jitgw.policy.approval.Fixtures.BOB;
import static dev.jitgw.policy.approval.Fixtures.T0;
import static dev.jitgw.policy.approval.Fixtures.digest;
import static dev.jitgw.policy.approval.Fixtures.hold;
import static dev.jitgw.policy.approval.Fixtures.summary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.testing.MutableClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApprovalWebhookTest {
  private static final URI ADMIN = URI.create("https://jitgw-admin.example.com/");
  private static final List<Duration> QUICK = List.of(ms(10), ms(20), ms(40));

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);
  private final ScheduledThreadPoolExecutor retries = new ScheduledThreadPoolExecutor(1);
  private final ExecutorService serverThreads = Executors.newCachedThreadPool();
  private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
  private final AtomicInteger attempts = new AtomicInteger();
  private volatile int status = 200;
  private volatile CountDownLatch answer = new CountDownLatch(0);
  private HttpServer server;
  private URI url;
  private FileApprovalStore store;
  private FileGrantStore grants;
  private ApprovalService service;

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/services/T000/B000/secret-token", this::handle);
    server.setExecutor(serverThreads);
    server.start();
    url =
        URI.create(
            "http://127.0.0.1:"
                + server.getAddress().getPort()
                + "/services/T000/B000/secret-token");
    store = FileApprovalStore.open(dir, clock, Runnable::run);
    grants = FileGrantStore.open(dir, clock, Runnable::run);
    service =
        ApprovalService.builder(store, grants, new ManualScheduler(clock))
            .clock(clock)
            .previewMasker(UnaryOperator.identity())
            .abandonGrace(Duration.ZERO)
            .build();
  }

  @AfterEach
  void stop() {
    answer.countDown();
    service.close();
    store.close();
    grants.close();
    server.stop(0);
    serverThreads.shutdownNow();
    retries.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    attempts.incrementAndGet();
    received.add(
        exchange.getRequestHeaders().getFirst("content-type")
            + " "
            + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    try {
      answer.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    exchange.sendResponseHeaders(status, -1);
    exchange.close();
  }

  private ApprovalWebhook webhook(List<Duration> delays) {
    return ApprovalWebhook.builder(url, ADMIN, retries).retryDelays(delays).build();
  }

  private static JsonNode payload(String request) throws IOException {
    assertThat(request).startsWith("application/json ");
    return new ObjectMapper().readTree(request.substring("application/json ".length()));
  }

  private String next() throws InterruptedException {
    String request = received.poll(30, TimeUnit.SECONDS);
    assertThat(request).as("a webhook request arrived").isNotNull();
    return request;
  }

  @Test
  void approversGetASlackMessageWithALinkToTheApproval() throws Exception {
    service.addListener(webhook(QUICK));
    Identity requester =
        new Identity(
            "alice",
            Fixtures.ISSUER,
            List.of("developers"),
            Optional.empty(),
            Map.of("email", "alice <!channel> & co"),
            T0.plus(Duration.ofDays(1)),
            Optional.empty());

    ApprovalHold waiter =
        service.hold(
            requester, hold(Duration.ofMinutes(5)), summary("secret plan"), digest("x"), "ex_1");
    String id = waiter.approvalId().orElseThrow();

    JsonNode created = payload(next());
    assertThat(created.size()).as("only the text field: strict Slack-compatible receivers").isOne();
    String text = created.path("text").asText();
    assertThat(text)
        .contains("Approval needed")
        .contains("alice &lt;!channel&gt; &amp; co")
        .doesNotContain("<!channel>")
        .contains("claude-sonnet-4-5")
        .contains("rule " + Fixtures.RULE)
        .contains("tools: bash")
        .contains("skills: pptx")
        .contains("estimated cost: $0.42")
        .contains("Approvers: security")
        .contains("<https://jitgw-admin.example.com/ui/approvals/" + id + "|Review " + id + ">")
        .as("no prompt text unless asked for")
        .doesNotContain("secret plan");

    service.decide(id, BOB, true, "looks fine", ADMINS).join();
    String decided = payload(next()).path("text").asText();
    assertThat(decided)
        .contains("<https://jitgw-admin.example.com/ui/approvals/" + id + "|" + id + ">")
        .contains("approved by bob@example.com (\"looks fine\")");
    assertThat(waiter.join()).isInstanceOf(Outcome.Approved.class);
  }

  @Test
  void thePreviewIsQuotedOnlyWhenAskedFor() throws Exception {
    service.addListener(ApprovalWebhook.builder(url, ADMIN, retries).includePreview(true).build());

    service.hold(
        Fixtures.ALICE, hold(Duration.ofMinutes(5)), summary("a <plan>"), digest("x"), "e");

    assertThat(payload(next()).path("text").asText()).contains("> a &lt;plan&gt;");
  }

  @Test
  void aFailingEndpointIsRetriedWithBackoffThenGivenUp() throws Exception {
    status = 503;
    ApprovalWebhook webhook = webhook(QUICK);
    Approval approval =
        service
            .get(
                service
                    .hold(
                        Fixtures.ALICE, hold(Duration.ofMinutes(5)), summary("x"), digest("x"), "e")
                    .approvalId()
                    .orElseThrow())
            .orElseThrow();

    assertThat(webhook.send(approval, "hello").get(30, TimeUnit.SECONDS)).isFalse();
    assertThat(attempts.get()).isEqualTo(1 + QUICK.size());

    attempts.set(0);
    status = 404;
    assertThat(webhook.send(approval, "hello").get(30, TimeUnit.SECONDS)).isFalse();
    assertThat(attempts.get()).as("a wrong URL is not retried").isOne();

    attempts.set(0);
    status = 200;
    assertThat(webhook.send(approval, "hello").get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(attempts.get()).isOne();
  }

  @Test
  void anUnreachableEndpointIsRetriedToo() throws Exception {
    server.stop(0);
    ApprovalWebhook webhook = webhook(List.of(ms(5), ms(5)));
    Approval approval =
        service
            .get(
                service
                    .hold(
                        Fixtures.ALICE, hold(Duration.ofMinutes(5)), summary("x"), digest("x"), "e")
                    .approvalId()
                    .orElseThrow())
            .orElseThrow();

    assertThat(webhook.send(approval, "hello").get(30, TimeUnit.SECONDS)).isFalse();
  }

  @Test
  void aSlowOrFailingWebhookNeverDelaysTheHold() throws Exception {
    status = 500;
    answer = new CountDownLatch(1);
    service.addListener(webhook(QUICK));

    ApprovalHold waiter =
        service.hold(Fixtures.ALICE, hold(Duration.ofMinutes(5)), summary("x"), digest("x"), "e");
    next(); // the notification is in flight, and its endpoint does not answer
    Approval decided =
        service.decide(waiter.approvalId().orElseThrow(), BOB, true, "ok", ADMINS).join();

    assertThat(decided.state()).isEqualTo(Approval.State.APPROVED);
    assertThat(waiter).isCompleted();
    assertThat(waiter.join()).isInstanceOf(Outcome.Approved.class);
    assertThat(answer.getCount()).as("the endpoint has not answered yet").isOne();

    answer.countDown();
    // Both notifications (created, approved) fail and are retried: 2 x 4 attempts, one seen.
    for (int i = 1; i < 2 * (1 + QUICK.size()); i++) {
      next();
    }
    assertThat(attempts.get()).isEqualTo(2 * (1 + QUICK.size()));
  }

  @Test
  void theUrlIsASecretAndNeverShown() {
    ApprovalWebhook webhook = webhook(QUICK);
    assertThat(webhook.toString()).doesNotContain("secret-token").doesNotContain("127.0.0.1");
    assertThatThrownBy(
            () ->
                ApprovalWebhook.builder(URI.create("ftp://secret-host/x"), ADMIN, retries).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("secret-host");
  }
}
