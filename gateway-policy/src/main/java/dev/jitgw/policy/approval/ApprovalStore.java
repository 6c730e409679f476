package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where approvals live, so that a shared store (a database with change notification) can replace
 * the embedded {@link FileApprovalStore} without touching callers. A held connection lives on one
 * node; its decision can come from any.
 *
 * <p>Methods never block: reads answer from the store's current view, and changes take effect at
 * once and return a stage that completes when they are durable. The engine calls them while it
 * holds its own lock, so an implementation must not call back into it.
 */
public interface ApprovalStore extends AutoCloseable {

  /**
   * Adds a new approval. The stage completes with it once it is durable, or fails (an {@link
   * java.io.UncheckedIOException} when it cannot be written).
   *
   * @throws IllegalArgumentException when an approval with that id exists
   */
  CompletionStage<Approval> create(Approval approval);

  Optional<Approval> get(String id);

  /**
   * Approvals newest first (by id, which sorts by creation time), optionally in one state.
   *
   * @param limit at most this many, 1 to {@link #MAX_PAGE}
   * @param before only approvals whose id sorts before this one: the previous page's {@link
   *     Page#next()}
   */
  Page list(Optional<Approval.State> state, int limit, Optional<String> before);

  /**
   * Replaces {@code expected} with {@code updated} if the stored approval is still at {@code
   * expected}'s revision. The decision is taken at once; the stage completes with {@code true} once
   * the change is durable, with {@code false} when the stored approval had moved on (nothing
   * changed).
   *
   * @throws IllegalArgumentException when {@code updated} is not the next revision of {@code
   *     expected}
   */
  CompletionStage<Boolean> compareAndSet(Approval expected, Approval updated);

  /** Writes what is not yet durable and releases the store; later changes fail. */
  @Override
  void close();

  /** The largest page {@link #list} answers. */
  int MAX_PAGE = 1000;

  /**
   * One page of approvals.
   *
   * @param approvals newest first
   * @param next the cursor for the following page ({@code before}), empty on the last page
   */
  record Page(List<Approval> approvals, Optional<String> next) {
    public Page {
      approvals = List.copyOf(approvals);
      requireNonNull(next, "next");
    }
  }
}
