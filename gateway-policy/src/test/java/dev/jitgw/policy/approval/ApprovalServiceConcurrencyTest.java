package dev.jitgw.policy.approval;

import static dev.jitgw.policy.approval.Fixtures.ADMINS;
import static dev.jitgw.policy.approval.Fixtures.BOB;
import static dev.jitgw.policy.approval.Fixtures.digest;
import static dev.jitgw.policy.approval.Fixtures.hold;
import static dev.jitgw.policy.approval.Fixtures.summary;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApprovalServiceConcurrencyTest {
  private static final int HOLDS = 1000;

  @TempDir Path dir;

  @Test
  void aThousandHoldsWaitOnATwoThreadSchedulerWithoutAThreadEach() throws Exception {
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(2);
    scheduler.setRemoveOnCancelPolicy(true);
    ExecutorService writer = Executors.newSingleThreadExecutor();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    Clock clock = Clock.systemUTC();
    FileApprovalStore store = FileApprovalStore.open(dir, clock, writer);
    FileGrantStore grants = FileGrantStore.open(dir, clock, writer);
    ApprovalService service =
        ApprovalService.builder(store, grants, scheduler)
            .clock(clock)
            .previewMasker(UnaryOperator.identity())
            .abandonGrace(Duration.ZERO)
            .build();
    int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
    try {
      List<CompletableFuture<ApprovalHold>> started = new ArrayList<>();
      for (int i = 0; i < HOLDS; i++) {
        String body = "request " + i;
        String requester = "user" + (i % 50);
        started.add(
            CompletableFuture.supplyAsync(
                () ->
                    service.hold(
                        Fixtures.person(requester, "developers"),
                        hold(Duration.ofHours(1)),
                        summary(body),
                        digest(body),
                        "ex_" + body),
                callers));
      }
      CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      List<ApprovalHold> holds = started.stream().map(CompletableFuture::join).toList();

      assertThat(holds).noneMatch(CompletableFuture::isDone);
      assertThat(holds).extracting(h -> h.approvalId().orElseThrow()).doesNotHaveDuplicates();
      assertThat(service.waiting()).isEqualTo(HOLDS);
      // One timer per approval in the queue, and nothing running: no thread waits for a decision.
      assertThat(scheduler.getQueue()).hasSize(HOLDS);
      assertThat(scheduler.getPoolSize()).isLessThanOrEqualTo(2);
      assertThat(scheduler.getActiveCount()).isZero();
      assertThat(ManagementFactory.getThreadMXBean().getThreadCount())
          .isLessThan(threadsBefore + 50);

      List<CompletableFuture<Approval>> decisions = new ArrayList<>();
      for (ApprovalHold hold : holds) {
        decisions.add(
            CompletableFuture.supplyAsync(
                    () -> service.decide(hold.approvalId().orElseThrow(), BOB, true, "ok", ADMINS),
                    callers)
                .thenCompose(d -> d));
      }
      CompletableFuture.allOf(holds.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      CompletableFuture.allOf(decisions.toArray(CompletableFuture[]::new))
          .get(60, TimeUnit.SECONDS);

      assertThat(holds).allMatch(h -> h.join() instanceof Outcome.Approved);
      assertThat(service.waiting()).isZero();
      assertThat(scheduler.getQueue()).as("every timer cancelled").isEmpty();
      assertThat(service.list(Optional.of(Approval.State.APPROVED), ApprovalStore.MAX_PAGE).size())
          .isEqualTo(HOLDS);
    } finally {
      service.close();
      store.close();
      grants.close();
      callers.shutdownNow();
      scheduler.shutdownNow();
      writer.shutdownNow();
    }
  }
}
