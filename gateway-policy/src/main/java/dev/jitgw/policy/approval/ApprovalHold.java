package dev.jitgw.policy.approval;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One held request's wait: a future the approval's decision, its timeout or the caller leaving
 * completes; no thread waits for it. It also says, at once, which approval holds the request, so
 * the caller can record it and name it to the caller ({@code details.approval_id}).
 *
 * <p>Completing or cancelling it from outside counts as the caller leaving, like {@link
 * ApprovalService#abandon}.
 */
public final class ApprovalHold extends CompletableFuture<Outcome> {
  private final String approvalId;
  private final boolean joined;

  ApprovalHold(String approvalId, boolean joined) {
    this.approvalId = approvalId;
    this.joined = joined;
  }

  /** The approval this request waits for; empty when a grant let it pass at once. */
  public Optional<String> approvalId() {
    return Optional.ofNullable(approvalId);
  }

  /** Whether the request joined an approval a previous try of the same request had opened. */
  public boolean joined() {
    return joined;
  }

  @Override
  public String toString() {
    return "ApprovalHold{"
        + (approvalId == null ? "granted" : approvalId)
        + ", "
        + super.toString()
        + '}';
  }
}
