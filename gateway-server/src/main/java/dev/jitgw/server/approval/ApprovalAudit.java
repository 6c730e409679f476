package dev.jitgw.server.approval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.store.AuditLog;
import dev.jitgw.audit.store.AuditRecord;
import dev.jitgw.policy.approval.Approval;
import dev.jitgw.policy.approval.ApprovalListener;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records every step of every approval in the audit log (contract section 5): an {@code approval}
 * record with {@code event} {@code requested} when a request is held, {@code voted} for each
 * approval short of {@code min_approvals}, and {@code decided} when it reaches its final state
 * (approved, denied, expired, abandoned), under the exchange that opened it. Each record carries
 * the approval as the admin API shows it (docs/approvals.md), so the log alone tells who decided,
 * when and why.
 */
public final class ApprovalAudit implements ApprovalListener {
  private static final Logger log = LoggerFactory.getLogger(ApprovalAudit.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final AuditLog auditLog;

  public ApprovalAudit(AuditLog auditLog) {
    this.auditLog = requireNonNull(auditLog, "auditLog");
  }

  @Override
  public void onCreated(Approval approval) {
    append(approval, "requested", List.of(record("requested", approval)));
  }

  @Override
  public void onVoted(Approval approval) {
    append(approval, "voted", List.of(record("voted", approval)));
  }

  @Override
  public void onDecided(Approval approval) {
    append(approval, "decided", List.of(record("decided", approval)));
  }

  /**
   * Records the approvals the store found pending at open and wrote as abandoned: a {@code decided}
   * record each, preceded by the {@code requested} record when the log does not hold it. The store
   * makes an approval durable (and visible to approvers) before its {@code requested} record is
   * synced, so a kill -9 between the two leaves the approval without it; the record put back is
   * built from the approval as it was created and says {@code "recovered": true}.
   */
  public void abandonedAtOpen(List<Approval> abandoned) {
    for (Approval approval : abandoned) {
      List<AuditRecord> records = new ArrayList<>(2);
      if (!logHoldsRequested(approval)) {
        ObjectNode requested = fields("requested", asCreated(approval));
        requested.put("recovered", true);
        records.add(new AuditRecord(AuditRecord.APPROVAL, approval.exchangeId(), requested));
      }
      records.add(record("decided", approval));
      append(approval, "its abandonment", records);
    }
  }

  /** Whether the log holds {@code approval}'s {@code requested} record; yes when it cannot tell. */
  private boolean logHoldsRequested(Approval approval) {
    List<byte[]> records;
    try {
      records = auditLog.exchange(approval.exchangeId());
    } catch (IOException | RuntimeException e) {
      log.warn(
          "approval {}: cannot read its exchange's records ({}); its requested record is not"
              + " put back",
          approval.id(),
          e.toString());
      return true;
    }
    for (byte[] bytes : records) {
      try {
        JsonNode record = JSON.readTree(bytes);
        if (record.path("type").asText().equals(AuditRecord.APPROVAL)
            && record.path("approval_id").asText().equals(approval.id())
            && record.path("event").asText().equals("requested")) {
          return true;
        }
      } catch (IOException e) {
        // Not a record this looks for.
      }
    }
    return false;
  }

  /** {@code approval} as it was when created: pending, no votes, revision 0. */
  private static Approval asCreated(Approval approval) {
    return new Approval(
        approval.id(),
        Approval.State.PENDING,
        approval.subject(),
        approval.subjectDisplay(),
        approval.rule(),
        approval.approvers(),
        approval.minApprovals(),
        approval.grant(),
        approval.request(),
        approval.bodySha256(),
        approval.exchangeId(),
        approval.createdAt(),
        approval.expiresAt(),
        List.of(),
        Optional.empty(),
        0);
  }

  /** The fields of one approval step's record. */
  public static ObjectNode fields(String event, Approval approval) {
    ObjectNode fields = AuditRecord.fields();
    fields.put("event", event);
    fields.put("approval_id", approval.id());
    fields.put("state", approval.state().id());
    fields.set("approval", JSON.valueToTree(approval));
    return fields;
  }

  private static AuditRecord record(String event, Approval approval) {
    return new AuditRecord(AuditRecord.APPROVAL, approval.exchangeId(), fields(event, approval));
  }

  /** Appends {@code records} of {@code approval} without waiting; {@code what} names them. */
  private void append(Approval approval, String what, List<AuditRecord> records) {
    auditLog
        .append(records)
        .whenComplete(
            (seq, error) -> {
              if (error != null) {
                // The approval itself is durable in its store; the log says why it is short.
                log.warn(
                    "approval {}: cannot record {} in the audit log: {}",
                    approval.id(),
                    what,
                    error.toString());
              }
            });
  }
}
