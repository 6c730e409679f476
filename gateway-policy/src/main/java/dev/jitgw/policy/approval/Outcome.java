package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import java.time.Duration;
import java.util.Optional;

/**
 * How a hold ended for one waiting request: a closed set. {@link Granted} and {@link Approved} let
 * the request go upstream; {@link Denied} and {@link Expired} answer the caller with {@link
 * #error()}; {@link Abandoned} means the caller left (or the gateway is stopping) and nothing is
 * sent.
 */
public sealed interface Outcome {

  /** Whether the request may go upstream. */
  boolean proceeds();

  /**
   * The approval that held the request, as it stood when this outcome was given; empty when an
   * earlier grant let the request pass.
   */
  Optional<Approval> heldBy();

  /**
   * The error the caller receives: 403 {@code approvaldenied} or {@code approvaltimeout}, with
   * {@code rule} and {@code approval_id} in {@code details}; empty when the request proceeds or
   * nobody is left to answer.
   */
  default Optional<GatewayError> error() {
    return Optional.empty();
  }

  static Outcome granted(Grant grant) {
    return new Granted(grant);
  }

  /** The outcome a waiter sees when the approval reaches {@code approval}'s final state. */
  static Outcome of(Approval approval) {
    return switch (approval.state()) {
      case APPROVED -> new Approved(approval);
      case DENIED -> new Denied(approval);
      case EXPIRED -> new Expired(approval);
      case ABANDONED -> new Abandoned(approval);
      case PENDING ->
          throw new IllegalArgumentException(
              "approval " + approval.id() + " is pending (expected: decided)");
    };
  }

  /** An earlier approval's grant lets the request pass without being held. */
  record Granted(Grant grant) implements Outcome {
    public Granted {
      requireNonNull(grant, "grant");
    }

    @Override
    public boolean proceeds() {
      return true;
    }

    @Override
    public Optional<Approval> heldBy() {
      return Optional.empty();
    }
  }

  /** Enough approvers approved. */
  record Approved(Approval approval) implements Outcome {
    public Approved {
      requireNonNull(approval, "approval");
    }

    @Override
    public boolean proceeds() {
      return true;
    }

    @Override
    public Optional<Approval> heldBy() {
      return Optional.of(approval);
    }
  }

  /** An approver denied. */
  record Denied(Approval approval) implements Outcome {
    public Denied {
      requireNonNull(approval, "approval");
    }

    /** The denying approver's reason. */
    public String reason() {
      return approval.denial().map(Approval.Vote::reason).orElse("");
    }

    @Override
    public boolean proceeds() {
      return false;
    }

    @Override
    public Optional<Approval> heldBy() {
      return Optional.of(approval);
    }

    @Override
    public Optional<GatewayError> error() {
      String by = approval.denial().map(Approval.Vote::approverDisplay).orElse("an approver");
      return Optional.of(
          GatewayError.of(
                  ErrorCode.APPROVAL_DENIED,
                  "Approval "
                      + approval.id()
                      + " for rule '"
                      + approval.rule()
                      + "' was denied by "
                      + by
                      + ": "
                      + reason())
              .withDetail("rule", approval.rule())
              .withDetail("approval_id", approval.id()));
    }
  }

  /** Nobody decided in time. */
  record Expired(Approval approval) implements Outcome {
    public Expired {
      requireNonNull(approval, "approval");
    }

    @Override
    public boolean proceeds() {
      return false;
    }

    @Override
    public Optional<Approval> heldBy() {
      return Optional.of(approval);
    }

    @Override
    public Optional<GatewayError> error() {
      Duration waited = Duration.between(approval.createdAt(), approval.expiresAt());
      return Optional.of(
          GatewayError.of(
                  ErrorCode.APPROVAL_TIMEOUT,
                  "Approval "
                      + approval.id()
                      + " for rule '"
                      + approval.rule()
                      + "' was not given within "
                      + format(waited)
                      + "; ask a member of "
                      + String.join(", ", approval.approvers())
                      + " to watch for it, then retry.")
              .withDetail("rule", approval.rule())
              .withDetail("approval_id", approval.id()));
    }
  }

  /**
   * The waiting request left: its caller disconnected ({@link ApprovalService#abandon}), or the
   * gateway is stopping ({@link ApprovalService#close}). The approval may still be pending when
   * other requests wait for it.
   */
  record Abandoned(Approval approval) implements Outcome {
    public Abandoned {
      requireNonNull(approval, "approval");
    }

    @Override
    public boolean proceeds() {
      return false;
    }

    @Override
    public Optional<Approval> heldBy() {
      return Optional.of(approval);
    }
  }

  /** {@code 5m}, {@code 1h30m}, {@code 45s}: how policy files write durations. */
  private static String format(Duration duration) {
    long seconds = Math.max(0, duration.toSeconds());
    StringBuilder out = new StringBuilder();
    if (seconds >= 3600) {
      out.append(seconds / 3600).append('h');
      seconds %= 3600;
    }
    if (seconds >= 60) {
      out.append(seconds / 60).append('m');
      seconds %= 60;
    }
    if (seconds > 0 || out.length() == 0) {
      out.append(seconds).append('s');
    }
    return out.toString();
  }
}
