package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The approval engine (contract section 5): a policy {@link Decision.Hold} becomes an {@link
 * ApprovalHold}, a future that an approver's decision, the rule's timeout or the caller leaving
 * completes. No thread waits: the timeout is one task on the scheduler per approval, cancelled by
 * the decision, and a decision completes the futures of every request waiting for it.
 *
 * <ul>
 *   <li>A subject holding an active grant for the rule passes at once ({@link Outcome.Granted}).
 *   <li>A request equal to a pending one (same subject, rule, method, path and body digest: a
 *       client's retry) joins it rather than opening another; a changed body opens its own.
 *   <li>Approvers are members of one of the rule's approver groups or of an admin group, never the
 *       requester; {@code min_approvals} distinct approvers must approve, and one deny denies.
 *   <li>When the last waiting request leaves, the approval stays pending for the abandon grace (so
 *       a retry after a dropped connection still joins it), then becomes abandoned.
 * </ul>
 *
 * <p>Every step is durable in the {@link ApprovalStore} before waiters and {@link
 * ApprovalListener}s hear of it. Methods never block; {@link #decide} answers with a future.
 */
public final class ApprovalService implements AutoCloseable {
  /** Longest accepted reason, in code points. */
  public static final int MAX_REASON_LENGTH = 1000;

  /** How long an approval nobody waits for stays joinable before it is abandoned. */
  public static final Duration DEFAULT_ABANDON_GRACE = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(ApprovalService.class);
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  private final ApprovalStore store;
  private final GrantStore grants;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final UnaryOperator<String> previewMasker;
  private final Function<Identity, String> displayName;
  private final Duration abandonGrace;
  private final List<ApprovalListener> listeners;

  private final Object lock = new Object();

  /** Guarded by {@link #lock}: pending approvals this node holds requests for, by id. */
  private final Map<String, Held> held = new HashMap<>();

  /** Guarded by {@link #lock}: the same, by what a retry of the request would look like. */
  private final Map<JoinKey, Held> joinable = new HashMap<>();

  /** Guarded by {@link #lock}. */
  private boolean closed;

  private ApprovalService(Builder builder) {
    this.store = builder.store;
    this.grants = builder.grants;
    this.scheduler = builder.scheduler;
    this.clock = builder.clock;
    this.previewMasker = builder.previewMasker;
    this.displayName = builder.displayName;
    this.abandonGrace = builder.abandonGrace;
    this.listeners = new CopyOnWriteArrayList<>(builder.listeners);
  }

  /**
   * @param scheduler runs the timeouts and the abandon grace; never an event loop, since a step may
   *     fsync when the store writes on the calling thread. Holds complete on the thread that made
   *     their step durable (the store's writer, this scheduler, or a deciding caller): callers
   *     resume on their own event loop.
   */
  public static Builder builder(
      ApprovalStore store, GrantStore grants, ScheduledExecutorService scheduler) {
    return new Builder(store, grants, scheduler);
  }

  /** What a retry of the same request has in common with it. */
  private record JoinKey(
      Subject subject, String rule, String method, String path, String bodySha256) {
    static JoinKey of(Approval approval) {
      return new JoinKey(
          approval.subject(),
          approval.rule(),
          approval.request().method(),
          approval.request().path(),
          approval.bodySha256());
    }
  }

  /** A pending approval and the requests waiting for it. */
  private static final class Held {
    Approval approval;
    final JoinKey key;
    final Set<ApprovalHold> waiters = new LinkedHashSet<>();
    ScheduledFuture<?> expiry;
    ScheduledFuture<?> grace;

    Held(Approval approval, JoinKey key) {
      this.approval = approval;
      this.key = key;
    }

    void cancelGrace() {
      if (grace != null) {
        grace.cancel(false);
        grace = null;
      }
    }

    void cancelTimers() {
      cancelGrace();
      if (expiry != null) {
        expiry.cancel(false);
        expiry = null;
      }
    }
  }

  /**
   * Holds a request the policy decided to hold. Returns at once, never blocking: completed already
   * when a grant lets the subject pass, otherwise when the approval is decided, expires, or the
   * caller {@linkplain #abandon leaves}. Fails (exceptionally) only when the approval cannot be
   * stored; the request must then not go upstream.
   *
   * @param bodyDigest lower-case hex SHA-256 of the request body ({@link BodyDigest})
   * @param exchangeId the exchange being held, recorded in a new approval
   * @throws IllegalArgumentException for a malformed digest or a timeout that is not positive
   * @throws IllegalStateException once {@link #close closed} (the gateway is stopping)
   */
  public ApprovalHold hold(
      Identity identity,
      Decision.Hold hold,
      RequestSummary summary,
      String bodyDigest,
      String exchangeId) {
    requireNonNull(identity, "identity");
    requireNonNull(hold, "hold");
    requireNonNull(summary, "summary");
    requireNonNull(bodyDigest, "bodyDigest");
    requireNonNull(exchangeId, "exchangeId");
    if (!SHA256_HEX.matcher(bodyDigest).matches()) {
      throw new IllegalArgumentException(
          "bodyDigest: '" + bodyDigest + "' (expected: 64 lower-case hex digits)");
    }
    if (hold.timeout().isNegative() || hold.timeout().isZero()) {
      throw new IllegalArgumentException(
          "timeout of rule '" + hold.ruleName() + "': " + hold.timeout() + " (expected: > 0)");
    }
    Subject subject = Subject.of(identity);
    Instant now = now();
    Optional<Grant> grant = grants.active(subject, hold.ruleName(), now);
    if (grant.isPresent()) {
      ApprovalHold passed = new ApprovalHold(null, false);
      passed.complete(Outcome.granted(grant.get()));
      return passed;
    }
    JoinKey key =
        new JoinKey(subject, hold.ruleName(), summary.method(), summary.path(), bodyDigest);
    // Built before taking the lock: masking the preview is the slow part.
    Approval fresh =
        new Approval(
            Ids.approval(clock),
            Approval.State.PENDING,
            subject,
            displayName.apply(identity),
            hold.ruleName(),
            hold.approvers(),
            hold.minApprovals(),
            hold.grant(),
            Approval.Request.of(summary, previewMasker),
            bodyDigest,
            exchangeId,
            now,
            now.plus(hold.timeout()),
            List.of(),
            Optional.empty(),
            0);
    ApprovalHold waiter;
    CompletionStage<Approval> stored = null;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("approvals are closed: the gateway is stopping");
      }
      Held existing = joinable.get(key);
      if (existing != null) {
        waiter = new ApprovalHold(existing.approval.id(), true);
        existing.waiters.add(waiter);
        existing.cancelGrace();
      } else {
        Held created = new Held(fresh, key);
        waiter = new ApprovalHold(fresh.id(), false);
        created.waiters.add(waiter);
        held.put(fresh.id(), created);
        joinable.put(key, created);
        created.expiry = schedule(() -> expire(fresh.id()), fresh.expiresAt(), now);
        try {
          stored = store.create(fresh);
        } catch (RuntimeException e) {
          stored = CompletableFuture.failedFuture(e);
        }
      }
    }
    if (stored != null) {
      stored.whenComplete(
          (approval, failure) -> {
            if (failure != null) {
              createFailed(fresh, unwrap(failure));
            } else {
              notifyListeners("creation", approval, ApprovalListener::onCreated);
            }
          });
    }
    // Completing the hold from outside (abandon, cancel) is the caller leaving.
    waiter.whenComplete((outcome, failure) -> left(waiter));
    return waiter;
  }

  /**
   * The caller of a held request left (disconnected): {@code waiter} completes with {@link
   * Outcome.Abandoned}. When no request waits for the approval any more, it is abandoned after the
   * abandon grace. Unknown ids and waiters, and repeated calls, are ignored.
   *
   * @param waiter the future {@link #hold} returned
   */
  public void abandon(String approvalId, CompletableFuture<Outcome> waiter) {
    requireNonNull(approvalId, "approvalId");
    requireNonNull(waiter, "waiter");
    Approval current;
    synchronized (lock) {
      Held h = held.get(approvalId);
      if (h == null || !(waiter instanceof ApprovalHold hold) || !h.waiters.contains(hold)) {
        return;
      }
      current = h.approval;
    }
    waiter.complete(new Outcome.Abandoned(current));
  }

  /**
   * An approver's decision. The future completes with the approval as it stands after the decision
   * (approved, denied, or still pending when more approvals are needed) once that is durable, or
   * fails with an {@link ApprovalException}:
   *
   * <ul>
   *   <li>400 when {@code reason} is missing, blank or longer than {@link #MAX_REASON_LENGTH};
   *   <li>404 when no approval has that id;
   *   <li>403 when the approver is in none of the rule's approver groups nor {@code adminGroups},
   *       is the requester (same issuer and {@code sub}), or already decided on this approval;
   *   <li>409 when it is no longer pending (also when its deadline passed a moment ago).
   * </ul>
   *
   * When approved and the rule has a {@code grant}, the requester's grant for the rule is made
   * before the held requests go on.
   */
  public CompletableFuture<Approval> decide(
      String approvalId,
      Identity approver,
      boolean approve,
      String reason,
      Set<String> adminGroups) {
    requireNonNull(approvalId, "approvalId");
    requireNonNull(approver, "approver");
    requireNonNull(adminGroups, "adminGroups");
    Conclusion conclusion = null;
    CompletionStage<Boolean> voted = null;
    Approval updated;
    try {
      String why = checkReason(reason);
      Subject who = Subject.of(approver);
      synchronized (lock) {
        Held h = held.get(approvalId);
        Approval current = h != null ? h.approval : store.get(approvalId).orElse(null);
        if (current == null) {
          throw new ApprovalException(
              ApprovalException.Kind.NOT_FOUND,
              "No approval has the id '" + approvalId + "'.",
              null);
        }
        if (!mayDecide(current, approver, adminGroups)) {
          throw new ApprovalException(
              ApprovalException.Kind.FORBIDDEN,
              "Deciding on approval "
                  + current.id()
                  + " needs one of the groups "
                  + String.join(", ", current.approvers())
                  + " (the rule's approvers) or an admin group.",
              current);
        }
        if (who.equals(current.subject())) {
          throw new ApprovalException(
              ApprovalException.Kind.FORBIDDEN,
              "Approval " + current.id() + " holds your own request; another approver decides.",
              current);
        }
        if (!current.isPending()) {
          throw notPending(current);
        }
        Instant now = now();
        Held target = h != null ? h : new Held(current, JoinKey.of(current));
        if (!now.isBefore(current.expiresAt())) {
          // The timeout task has not run yet, but the deadline has passed all the same.
          conclusion =
              conclude(
                  target,
                  current.next(Approval.State.EXPIRED, current.decisions(), Optional.of(now)));
          updated = conclusion.updated;
        } else {
          if (current.decidedBy(who)) {
            throw new ApprovalException(
                ApprovalException.Kind.FORBIDDEN,
                "You already decided on approval "
                    + current.id()
                    + "; it needs "
                    + current.minApprovals()
                    + " different approvers.",
                current);
          }
          Approval.Vote vote =
              new Approval.Vote(
                  who,
                  displayName.apply(approver),
                  approve ? Approval.Choice.APPROVE : Approval.Choice.DENY,
                  why,
                  now);
          Approval.State next =
              !approve
                  ? Approval.State.DENIED
                  : current.approvals() + 1 >= current.minApprovals()
                      ? Approval.State.APPROVED
                      : Approval.State.PENDING;
          updated =
              current.withVote(vote, next, next.isFinal() ? Optional.of(now) : Optional.empty());
          if (next.isFinal()) {
            conclusion = conclude(target, updated);
          } else {
            target.approval = updated;
            voted = compareAndSet(current, updated);
          }
        }
      }
    } catch (ApprovalException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Approval> result = new CompletableFuture<>();
    if (conclusion != null) {
      Approval decided = updated;
      conclusion
          .proceed()
          .whenComplete(
              (approval, failure) -> {
                if (failure != null) {
                  result.completeExceptionally(unwrap(failure));
                } else if (decided.state() == Approval.State.EXPIRED) {
                  result.completeExceptionally(notPending(decided));
                } else {
                  result.complete(decided);
                }
              });
    } else {
      Approval pending = updated;
      voted.whenComplete(
          (ok, failure) -> {
            if (failure != null) {
              result.completeExceptionally(unwrap(failure));
            } else if (!ok) {
              result.completeExceptionally(changedMeanwhile(pending));
            } else {
              notifyListeners("vote", pending, ApprovalListener::onVoted);
              result.complete(pending);
            }
          });
    }
    return result;
  }

  /**
   * Whether {@code identity} is in one of the approval's approver groups or an admin group. (The
   * requester may still not decide its own approval.) For filtering what an approver may see.
   */
  public static boolean mayDecide(Approval approval, Identity identity, Set<String> adminGroups) {
    return identity.groups().stream()
        .anyMatch(g -> approval.approvers().contains(g) || adminGroups.contains(g));
  }

  /**
   * Whether {@code identity} may see the approval: admins see every one, approvers those they may
   * decide ({@link #mayDecide}), requesters their own.
   */
  public static boolean mayView(Approval approval, Identity identity, Set<String> adminGroups) {
    return mayDecide(approval, identity, adminGroups)
        || approval.subject().equals(Subject.of(identity));
  }

  /**
   * Like {@link #list(Optional, int, Optional)}, but only the approvals {@code viewer} may see
   * ({@link #mayView}); pages are full even when the viewer sees few of them.
   */
  public ApprovalStore.Page listFor(
      Identity viewer,
      Set<String> adminGroups,
      Optional<Approval.State> state,
      int limit,
      Optional<String> before) {
    requireNonNull(viewer, "viewer");
    requireNonNull(adminGroups, "adminGroups");
    if (viewer.groups().stream().anyMatch(adminGroups::contains)) {
      return store.list(state, limit, before);
    }
    if (limit < 1 || limit > ApprovalStore.MAX_PAGE) {
      throw new IllegalArgumentException(
          "limit: " + limit + " (expected: 1 to " + ApprovalStore.MAX_PAGE + ")");
    }
    List<Approval> visible = new ArrayList<>(limit);
    Optional<String> cursor = before;
    while (true) {
      ApprovalStore.Page page = store.list(state, ApprovalStore.MAX_PAGE, cursor);
      for (Approval approval : page.approvals()) {
        if (!mayView(approval, viewer, adminGroups)) {
          continue;
        }
        if (visible.size() == limit) {
          return new ApprovalStore.Page(visible, Optional.of(visible.get(limit - 1).id()));
        }
        visible.add(approval);
      }
      if (page.next().isEmpty()) {
        return new ApprovalStore.Page(visible, Optional.empty());
      }
      cursor = page.next();
    }
  }

  public Optional<Approval> get(String id) {
    return store.get(requireNonNull(id, "id"));
  }

  /**
   * Approvals newest first, optionally in one state.
   *
   * @param limit 1 to {@link ApprovalStore#MAX_PAGE}
   * @param before the previous page's {@link ApprovalStore.Page#next()}
   */
  public ApprovalStore.Page list(
      Optional<Approval.State> state, int limit, Optional<String> before) {
    return store.list(state, limit, before);
  }

  /** The newest {@code limit} approvals, optionally in one state. */
  public List<Approval> list(Optional<Approval.State> state, int limit) {
    return store.list(state, limit, Optional.empty()).approvals();
  }

  /** Grants active now, newest first. */
  public List<Grant> grants() {
    return grants.list(clock.instant());
  }

  /** Ends a grant at once; completes with it (empty for an unknown id) once durable. */
  public CompletableFuture<Optional<Grant>> revokeGrant(String id) {
    return grants.revoke(requireNonNull(id, "id")).toCompletableFuture();
  }

  /** How many requests wait for an approval on this node now. */
  public int waiting() {
    synchronized (lock) {
      return held.values().stream().mapToInt(h -> h.waiters.size()).sum();
    }
  }

  public void addListener(ApprovalListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  /**
   * Stops holding: every pending approval this node holds becomes abandoned and its waiters
   * complete with {@link Outcome.Abandoned} (a caller still connected answers 503 {@code
   * shutting_down}); later {@link #hold}s fail. Does not close the stores: close them after this.
   */
  @Override
  public void close() {
    List<Conclusion> conclusions = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      Instant now = now();
      for (Held h : new ArrayList<>(held.values())) {
        conclusions.add(
            conclude(
                h,
                h.approval.next(
                    Approval.State.ABANDONED, h.approval.decisions(), Optional.of(now))));
      }
    }
    for (Conclusion conclusion : conclusions) {
      conclusion.proceed();
    }
  }

  // --- steps -------------------------------------------------------------------------------

  /** A waiter completed (decided, abandoned, or cancelled by its caller): forget it. */
  private void left(ApprovalHold waiter) {
    String id = waiter.approvalId().orElse(null);
    if (id == null) {
      return;
    }
    Conclusion conclusion = null;
    synchronized (lock) {
      Held h = held.get(id);
      if (h == null || !h.waiters.remove(waiter) || !h.waiters.isEmpty()) {
        return;
      }
      if (abandonGrace.isZero()) {
        conclusion = abandoned(h);
      } else {
        Instant now = clock.instant();
        h.grace = schedule(() -> graceEnded(id), now.plus(abandonGrace), now);
      }
    }
    if (conclusion != null) {
      conclusion.proceed();
    }
  }

  private void graceEnded(String id) {
    Conclusion conclusion;
    synchronized (lock) {
      Held h = held.get(id);
      if (h == null || !h.waiters.isEmpty()) {
        return;
      }
      h.grace = null;
      conclusion = abandoned(h);
    }
    conclusion.proceed();
  }

  private void expire(String id) {
    Conclusion conclusion;
    synchronized (lock) {
      Held h = held.get(id);
      if (h == null) {
        return;
      }
      Instant now = now();
      if (now.isBefore(h.approval.expiresAt())) {
        // The scheduler ran early by the clock's measure (a clock step, a test clock): wait on.
        h.expiry = schedule(() -> expire(id), h.approval.expiresAt(), now);
        return;
      }
      conclusion =
          conclude(
              h, h.approval.next(Approval.State.EXPIRED, h.approval.decisions(), Optional.of(now)));
    }
    conclusion.proceed();
  }

  /** The new approval could not be stored: fail its waiters (nothing goes upstream). */
  private void createFailed(Approval approval, Throwable failure) {
    log.error(
        "cannot store approval {} for rule '{}'; its held requests fail",
        approval.id(),
        approval.rule(),
        failure);
    List<ApprovalHold> waiters;
    synchronized (lock) {
      Held h = held.get(approval.id());
      if (h == null) {
        return;
      }
      h.cancelTimers();
      held.remove(approval.id());
      joinable.remove(h.key, h);
      waiters = new ArrayList<>(h.waiters);
      h.waiters.clear();
      // Best effort, so approvers do not see a pending approval nobody waits for.
      try {
        compareAndSet(
            h.approval,
            h.approval.next(Approval.State.ABANDONED, h.approval.decisions(), Optional.of(now())));
      } catch (RuntimeException e) {
        log.debug("cannot mark approval {} abandoned", approval.id(), e);
      }
    }
    for (ApprovalHold waiter : waiters) {
      waiter.completeExceptionally(failure);
    }
  }

  /** Under the lock: the approval nobody waits for becomes abandoned. */
  private Conclusion abandoned(Held h) {
    return conclude(
        h, h.approval.next(Approval.State.ABANDONED, h.approval.decisions(), Optional.of(now())));
  }

  /**
   * Under the lock: the approval reaches its final state. It stops being held or joinable at once;
   * its waiters and the listeners hear of it in {@link Conclusion#proceed()}, after the lock, once
   * the store made it durable.
   */
  private Conclusion conclude(Held h, Approval updated) {
    h.cancelTimers();
    held.remove(updated.id(), h);
    joinable.remove(h.key, h);
    List<ApprovalHold> waiters = new ArrayList<>(h.waiters);
    h.waiters.clear();
    Approval previous = h.approval;
    h.approval = updated;
    return new Conclusion(updated, waiters, compareAndSet(previous, updated));
  }

  private CompletionStage<Boolean> compareAndSet(Approval expected, Approval updated) {
    try {
      return store.compareAndSet(expected, updated);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** A final state on its way to durable storage, then to the waiters and listeners. */
  private final class Conclusion {
    final Approval updated;
    final Collection<ApprovalHold> waiters;
    final CompletionStage<Boolean> stored;

    Conclusion(
        Approval updated, Collection<ApprovalHold> waiters, CompletionStage<Boolean> stored) {
      this.updated = updated;
      this.waiters = waiters;
      this.stored = stored;
    }

    CompletableFuture<Approval> proceed() {
      return stored
          .thenCompose(
              ok -> {
                if (!ok) {
                  throw changedMeanwhile(updated);
                }
                return grant(updated);
              })
          .toCompletableFuture()
          .whenComplete(
              (approval, failure) -> {
                if (failure != null) {
                  Throwable cause = unwrap(failure);
                  log.error(
                      "cannot store approval {} as {}; its held requests fail",
                      updated.id(),
                      updated.state().id(),
                      cause);
                  for (ApprovalHold waiter : waiters) {
                    waiter.completeExceptionally(cause);
                  }
                  return;
                }
                // Listeners first: the audit record of the decision precedes what the request does.
                notifyListeners("decision", updated, ApprovalListener::onDecided);
                Outcome outcome = Outcome.of(updated);
                for (ApprovalHold waiter : waiters) {
                  waiter.complete(outcome);
                }
              });
    }
  }

  /** Records the rule's grant for an approved approval; a failure is logged, not fatal. */
  private CompletionStage<Approval> grant(Approval approval) {
    if (approval.state() != Approval.State.APPROVED || approval.grant().isEmpty()) {
      return CompletableFuture.completedFuture(approval);
    }
    Instant decided = approval.decidedAt().orElseThrow();
    try {
      return grants
          .grant(
              approval.subject(),
              approval.rule(),
              decided.plus(approval.grant().get()),
              approval.id())
          .handle(
              (grant, failure) -> {
                if (failure != null) {
                  log.warn(
                      "cannot record the grant of approval {}; its requester will be held again",
                      approval.id(),
                      unwrap(failure));
                }
                return approval;
              });
    } catch (RuntimeException e) {
      log.warn("cannot record the grant of approval {}", approval.id(), e);
      return CompletableFuture.completedFuture(approval);
    }
  }

  private void notifyListeners(
      String what, Approval approval, BiConsumer<ApprovalListener, Approval> call) {
    for (ApprovalListener listener : listeners) {
      try {
        call.accept(listener, approval);
      } catch (RuntimeException e) {
        log.warn("approval listener {} failed on the {} of {}", listener, what, approval.id(), e);
      }
    }
  }

  /** Runs {@code task} at {@code at} (by {@link #clock}); null if the scheduler refuses. */
  private ScheduledFuture<?> schedule(Runnable task, Instant at, Instant now) {
    long delay = Math.max(0, Duration.between(now, at).toMillis());
    try {
      return scheduler.schedule(
          () -> {
            try {
              task.run();
            } catch (RuntimeException e) {
              // A scheduled task's exception would vanish into its future otherwise.
              log.error("approval timer failed", e);
            }
          },
          delay,
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.warn("the approval scheduler refused a timer (shutting down?)", e);
      return null;
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String checkReason(String reason) {
    String stripped = reason == null ? "" : reason.strip();
    if (stripped.isEmpty()) {
      throw new ApprovalException(
          ApprovalException.Kind.INVALID_REASON,
          "A reason is required: {\"reason\": \"...\"}, at most "
              + MAX_REASON_LENGTH
              + " characters.",
          null);
    }
    int length = stripped.codePointCount(0, stripped.length());
    if (length > MAX_REASON_LENGTH) {
      throw new ApprovalException(
          ApprovalException.Kind.INVALID_REASON,
          "reason: " + length + " characters (expected: at most " + MAX_REASON_LENGTH + ").",
          null);
    }
    return stripped;
  }

  private static ApprovalException notPending(Approval approval) {
    return new ApprovalException(
        ApprovalException.Kind.NOT_PENDING,
        "Approval " + approval.id() + " is no longer pending: it is " + approval.state().id() + ".",
        approval);
  }

  private static ApprovalException changedMeanwhile(Approval approval) {
    return new ApprovalException(
        ApprovalException.Kind.NOT_PENDING,
        "Approval " + approval.id() + " changed meanwhile; load it again.",
        null);
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  /** How approvers see a subject: a claim meant for people, else the {@code sub}. */
  static String defaultDisplayName(Identity identity) {
    for (String claim : List.of("email", "preferred_username", "name")) {
      if (identity.claims().get(claim) instanceof String value && !value.isBlank()) {
        return value;
      }
    }
    return identity.subject();
  }

  /** Builds an {@link ApprovalService}. */
  public static final class Builder {
    private final ApprovalStore store;
    private final GrantStore grants;
    private final ScheduledExecutorService scheduler;
    private Clock clock = Clock.systemUTC();
    private UnaryOperator<String> previewMasker;
    private Function<Identity, String> displayName = ApprovalService::defaultDisplayName;
    private Duration abandonGrace = DEFAULT_ABANDON_GRACE;
    private final List<ApprovalListener> listeners = new ArrayList<>();

    private Builder(ApprovalStore store, GrantStore grants, ScheduledExecutorService scheduler) {
      this.store = requireNonNull(store, "store");
      this.grants = requireNonNull(grants, "grants");
      this.scheduler = requireNonNull(scheduler, "scheduler");
    }

    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Masks the prompt preview approvers see (and the store file keeps), e.g. with the {@code
     * secrets} masking profile. Required: pass {@link UnaryOperator#identity()} to show raw text.
     */
    public Builder previewMasker(UnaryOperator<String> previewMasker) {
      this.previewMasker = requireNonNull(previewMasker, "previewMasker");
      return this;
    }

    /**
     * How requesters and approvers are shown; by default the {@code email}, {@code
     * preferred_username} or {@code name} claim, else the {@code sub}. Display only: decisions and
     * grants key on issuer and {@code sub}.
     */
    public Builder displayName(Function<Identity, String> displayName) {
      this.displayName = requireNonNull(displayName, "displayName");
      return this;
    }

    /**
     * How long an approval stays pending and joinable after its last waiting request left, so a
     * client retrying after a dropped connection joins it; {@link Duration#ZERO} abandons at once.
     * Default {@link #DEFAULT_ABANDON_GRACE}.
     */
    public Builder abandonGrace(Duration abandonGrace) {
      requireNonNull(abandonGrace, "abandonGrace");
      if (abandonGrace.isNegative()) {
        throw new IllegalArgumentException("abandonGrace: " + abandonGrace + " (expected: >= 0)");
      }
      this.abandonGrace = abandonGrace;
      return this;
    }

    public Builder listener(ApprovalListener listener) {
      listeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    public ApprovalService build() {
      if (previewMasker == null) {
        throw new IllegalStateException(
            "previewMasker: not set (expected: a masker for the prompt preview, or"
                + " UnaryOperator.identity() to show it raw)");
      }
      return new ApprovalService(this);
    }
  }
}
