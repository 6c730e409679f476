package dev.jitgw.policy.approval;

/**
 * Hears every step of every approval: for audit records and notifications. Called after the step is
 * durable in the store, on the thread that completed it (the store's writer, the scheduler or the
 * deciding caller), so a listener must not block. An exception a listener throws is logged and
 * changes nothing.
 */
public interface ApprovalListener {

  /** A request was held and a new approval opened. */
  default void onCreated(Approval approval) {}

  /** An approver approved, but fewer than {@code min_approvals} have so far: still pending. */
  default void onVoted(Approval approval) {}

  /** The approval reached its final state: approved, denied, expired or abandoned. */
  default void onDecided(Approval approval) {}
}
