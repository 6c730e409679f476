package dev.jitgw.server.approval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.store.AuditLog;
import dev.jitgw.audit.store.AuditRecord;
import dev.jitgw.policy.approval.Approval;
import dev.jitgw.policy.approval.ApprovalListener;
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
    append("requested", approval);
  }

  @Override
  public void onVoted(Approval approval) {
    append("voted", approval);
  }

  @Override
  public void onDecided(Approval approval) {
    append("decided", approval);
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

  private void append(String event, Approval approval) {
    auditLog
        .append(
            new AuditRecord(AuditRecord.APPROVAL, approval.exchangeId(), fields(event, approval)))
        .whenComplete(
            (seq, error) -> {
              if (error != null) {
                // The approval itself is durable in its store; the log says why it is short.
                log.warn(
                    "approval {}: cannot record {} in the audit log: {}",
                    approval.id(),
                    event,
                    error.toString());
              }
            });
  }
}
