package dev.jitgw.policy.approval;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Active grants: a subject may pass an approval rule without being held, until a time. Behind an
 * interface, like {@link ApprovalStore}, so a shared store can replace the embedded {@link
 * FileGrantStore}. Reads answer from the store's current view; changes take effect at once and
 * return a stage that completes when they are durable.
 */
public interface GrantStore extends AutoCloseable {

  /**
   * Lets {@code subject} pass {@code rule} until {@code until}. One grant per subject and rule: a
   * new one replaces the old, and keeps the later end of the two.
   *
   * @param approvalId the approval that made the grant, for the record
   */
  CompletionStage<Grant> grant(Subject subject, String rule, Instant until, String approvalId);

  /** The grant that lets {@code subject} pass {@code rule} at {@code now}, if any. */
  Optional<Grant> active(Subject subject, String rule, Instant now);

  /** Grants active at {@code now}, newest first. */
  List<Grant> list(Instant now);

  /** Ends a grant at once; the stage completes with it (empty for an unknown id) once durable. */
  CompletionStage<Optional<Grant>> revoke(String id);

  /** Writes what is not yet durable and releases the store; later changes fail. */
  @Override
  void close();
}
