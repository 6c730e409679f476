package dev.jitgw.policy.approval;

import static dev.jitgw.policy.approval.Fixtures.ALICE;
import static dev.jitgw.policy.approval.Fixtures.ISSUER;
import static dev.jitgw.policy.approval.Fixtures.T0;
import static dev.jitgw.policy.approval.Fixtures.summary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.policy.approval.Approval.State;
import dev.jitgw.policy.testing.MutableClock;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileApprovalStoreTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);
  private int sequence;

  private Approval pending(String id) {
    Instant at = T0.plusSeconds(sequence++);
    return new Approval(
        id,
        State.PENDING,
        Subject.of(ALICE),
        "alice@example.com",
        "rule",
        List.of("security"),
        1,
        Optional.of(Duration.ofMinutes(30)),
        Approval.Request.of(summary("hello"), UnaryOperator.identity()),
        Fixtures.digest("hello"),
        "ex_" + id,
        at,
        at.plus(Duration.ofMinutes(5)),
        List.of(),
        Optional.empty(),
        0);
  }

  private static Approval approved(Approval approval) {
    return approval.withVote(
        new Approval.Vote(
            new Subject(ISSUER, "bob"), "bob@example.com", Approval.Choice.APPROVE, "ok", T0),
        State.APPROVED,
        Optional.of(T0.plusSeconds(60)));
  }

  private static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  @Test
  void pendingApprovalsAreAbandonedAtOpenAndDecidedOnesSurvive() {
    FileApprovalStore store = FileApprovalStore.open(dir, clock, Runnable::run);
    Approval decided = pending("apr_01");
    join(store.create(decided));
    assertThat(join(store.compareAndSet(decided, approved(decided)))).isTrue();
    Approval waiting = pending("apr_02");
    join(store.create(waiting));
    assertThat(store.abandonedAtOpen()).isEmpty();
    // No close: the process died with apr_02 pending.

    clock.advance(Duration.ofMinutes(2));
    FileApprovalStore reopened = FileApprovalStore.open(dir, clock, Runnable::run);

    Approval abandoned = reopened.get("apr_02").orElseThrow();
    assertThat(abandoned.state()).isEqualTo(State.ABANDONED);
    assertThat(abandoned.decidedAt()).contains(T0.plus(Duration.ofMinutes(2)));
    assertThat(abandoned.revision()).isEqualTo(1);
    assertThat(reopened.abandonedAtOpen()).containsExactly(abandoned);
    assertThat(reopened.get("apr_01")).contains(approved(decided));
    reopened.close();

    // Abandoning was written back: a third start has nothing left to abandon.
    FileApprovalStore third = FileApprovalStore.open(dir, clock, Runnable::run);
    assertThat(third.abandonedAtOpen()).isEmpty();
    assertThat(third.get("apr_02")).contains(abandoned);
    third.close();
    assertThat(dir.toFile().list()).containsExactly(FileApprovalStore.FILE_NAME);
  }

  @Test
  void theFileIsOneVersionedJsonDocument() throws Exception {
    FileApprovalStore store = FileApprovalStore.open(dir, clock, Runnable::run);
    Approval approval = pending("apr_01");
    join(store.create(approval));

    JsonNode root = new ObjectMapper().readTree(dir.resolve("approvals.json").toFile());
    assertThat(root.path("version").asInt()).isEqualTo(1);
    JsonNode stored = root.path("approvals").get(0);
    assertThat(stored.path("id").asText()).isEqualTo("apr_01");
    assertThat(stored.path("state").asText()).isEqualTo("pending");
    assertThat(stored.path("subject").path("iss").asText()).isEqualTo(ISSUER);
    assertThat(stored.path("subject").path("sub").asText()).isEqualTo("alice");
    assertThat(stored.path("subject").path("display").asText()).isEqualTo("alice@example.com");
    assertThat(stored.path("grant_seconds").asLong()).isEqualTo(1800);
    assertThat(stored.path("request").path("tools").get(0).asText()).isEqualTo("bash");
    assertThat(stored.path("created_at").asText()).isEqualTo(approval.createdAt().toString());
    assertThat(stored.path("decided_at").isNull()).isTrue();
    store.close();
  }

  @Test
  void compareAndSetRefusesAStaleRevision() {
    FileApprovalStore store = FileApprovalStore.open(dir, clock, Runnable::run);
    Approval approval = pending("apr_01");
    join(store.create(approval));
    Approval first = approved(approval);

    assertThat(join(store.compareAndSet(approval, first))).isTrue();
    Approval competing =
        approval.next(State.EXPIRED, List.of(), Optional.of(T0.plus(Duration.ofMinutes(5))));
    assertThat(join(store.compareAndSet(approval, competing))).isFalse();
    assertThat(store.get("apr_01")).contains(first);
    assertThatThrownBy(() -> store.compareAndSet(approval, approval))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("revision");
    assertThatThrownBy(() -> store.create(approval))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exists");
    store.close();
  }

  @Test
  void listsNewestFirstByStateInPages() {
    FileApprovalStore store = FileApprovalStore.open(dir, clock, Runnable::run);
    for (int i = 1; i <= 7; i++) {
      Approval approval = pending("apr_0" + i);
      join(store.create(approval));
      if (i % 2 == 0) {
        join(store.compareAndSet(approval, approved(approval)));
      }
    }

    ApprovalStore.Page first = store.list(Optional.of(State.PENDING), 2, Optional.empty());
    assertThat(first.approvals()).extracting(Approval::id).containsExactly("apr_07", "apr_05");
    assertThat(first.next()).contains("apr_05");
    ApprovalStore.Page second = store.list(Optional.of(State.PENDING), 2, first.next());
    assertThat(second.approvals()).extracting(Approval::id).containsExactly("apr_03", "apr_01");
    assertThat(second.next()).isEmpty();
    assertThat(store.list(Optional.empty(), 100, Optional.empty()).approvals()).hasSize(7);
    assertThat(store.list(Optional.of(State.APPROVED), 100, Optional.empty()).approvals())
        .extracting(Approval::id)
        .containsExactly("apr_06", "apr_04", "apr_02");
    assertThatThrownBy(() -> store.list(Optional.empty(), 0, Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.list(Optional.empty(), 1001, Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
    store.close();
  }

  @Test
  void historyKeepsTheNewestDecidedApprovalsAndEveryPendingOne() {
    FileApprovalStore store = FileApprovalStore.open(dir, clock, Runnable::run, 3);
    Approval oldestPending = pending("apr_00");
    join(store.create(oldestPending));
    for (int i = 1; i <= 5; i++) {
      Approval approval = pending("apr_0" + i);
      join(store.create(approval));
      join(store.compareAndSet(approval, approved(approval)));
    }

    assertThat(store.list(Optional.empty(), 100, Optional.empty()).approvals())
        .extracting(Approval::id)
        .containsExactly("apr_05", "apr_04", "apr_03", "apr_00");
    store.close();
    FileApprovalStore smaller = FileApprovalStore.open(dir, clock, Runnable::run, 1);
    // apr_00, abandoned at open, is decided now and the oldest: dropped with the others.
    assertThat(smaller.list(Optional.empty(), 100, Optional.empty()).approvals())
        .extracting(Approval::id)
        .containsExactly("apr_05");
    smaller.close();
  }

  @Test
  void aCorruptFileStopsTheOpenNamingIt() throws Exception {
    Files.writeString(
        dir.resolve("approvals.json"), "{\"version\":1,\"approvals\":[{\"id\":\"apr_x\"}]}");
    assertThatThrownBy(() -> FileApprovalStore.open(dir, clock, Runnable::run))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(dir.resolve("approvals.json").toString())
        .hasMessageContaining("approval apr_x")
        .hasMessageContaining("move the file away");
    Files.writeString(dir.resolve("approvals.json"), "{\"version\":2,\"approvals\":[]}");
    assertThatThrownBy(() -> FileApprovalStore.open(dir, clock, Runnable::run))
        .hasMessageContaining("version: 2");
    Files.write(dir.resolve("approvals.json"), "not json".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> FileApprovalStore.open(dir, clock, Runnable::run))
        .isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void changesFromManyThreadsShareWritesAndAllBecomeDurable() throws Exception {
    ExecutorService writer = Executors.newSingleThreadExecutor();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      FileApprovalStore store = FileApprovalStore.open(dir, clock, writer);
      List<CompletableFuture<Approval>> created = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        Approval approval = pending(String.format("apr_%03d", i));
        created.add(
            CompletableFuture.supplyAsync(() -> store.create(approval), callers)
                .thenCompose(s -> s));
      }
      CompletableFuture.allOf(created.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      // Durable means on disk: the file holds every one.
      JsonNode root = new ObjectMapper().readTree(dir.resolve("approvals.json").toFile());
      assertThat(root.path("approvals")).hasSize(200);
      store.close();
    } finally {
      callers.shutdownNow();
      writer.shutdownNow();
    }
  }

  @Test
  void approvalsSerializeWithAPlainObjectMapper() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    Approval approval = approved(pending("apr_01"));

    String json = mapper.writeValueAsString(approval);
    JsonNode tree = mapper.readTree(json);

    assertThat(tree.path("state").asText()).isEqualTo("approved");
    assertThat(tree.path("decisions").get(0).path("decision").asText()).isEqualTo("approve");
    assertThat(tree.path("decisions").get(0).path("approver").path("sub").asText())
        .isEqualTo("bob");
    assertThat(tree.path("decided_at").asText()).isEqualTo("2025-06-02T09:01:00Z");
    assertThat(tree.path("request").path("estimated_cost_usd").asDouble()).isEqualTo(0.42);
    assertThat(mapper.readValue(json, Approval.class)).isEqualTo(approval);
    assertThat(mapper.writeValueAsString(List.of(approval))).startsWith("[{\"id\":\"apr_01\"");

    Grant grant = new Grant("grt_01", Subject.of(ALICE), "rule", T0, T0.plusSeconds(60), "apr_01");
    String grantJson = mapper.writeValueAsString(grant);
    assertThat(grantJson)
        .isEqualTo(
            "{\"id\":\"grt_01\",\"subject\":{\"iss\":\""
                + ISSUER
                + "\",\"sub\":\"alice\"},\"rule\":\"rule\",\"created_at\":\"2025-06-02T09:00:00Z\","
                + "\"until\":\"2025-06-02T09:01:00Z\",\"approval_id\":\"apr_01\"}");
    assertThat(mapper.readValue(grantJson, Grant.class)).isEqualTo(grant);
  }
}
