package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Instant;

/**
 * Lets one subject pass one approval rule without being held again, until a time: made when an
 * approval of a rule with {@code grant} is approved.
 *
 * @param id {@code grt_} and a ULID
 * @param subject who may pass
 * @param rule the approval rule they pass
 * @param createdAt when it was made
 * @param until when it ends (exclusive)
 * @param approvalId the approval that made it
 */
@JsonSerialize(using = ApprovalJson.GrantSerializer.class)
@JsonDeserialize(using = ApprovalJson.GrantDeserializer.class)
public record Grant(
    String id, Subject subject, String rule, Instant createdAt, Instant until, String approvalId) {

  public Grant {
    requireNonNull(id, "id");
    requireNonNull(subject, "subject");
    requireNonNull(rule, "rule");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(until, "until");
    requireNonNull(approvalId, "approvalId");
  }

  /** Whether the grant still lets its subject pass at {@code now}. */
  public boolean isActive(Instant now) {
    return now.isBefore(until);
  }
}
