package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.error.ErrorCode;
import java.util.Optional;

/**
 * Why an approver's decision was refused: the admin API answers with {@link Kind#status()} and
 * {@link Kind#code()}. Stack traces are not filled in: these are expected outcomes.
 */
public final class ApprovalException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The kinds of refusal, each with its HTTP status. */
  public enum Kind {
    /** The reason is missing or too long. */
    INVALID_REASON(400, "bad_request", ErrorCode.BAD_REQUEST),
    /**
     * The approver is in none of the rule's approver groups nor an admin group, is the requester,
     * or already decided.
     */
    FORBIDDEN(403, "forbidden", ErrorCode.FORBIDDEN),
    /** No approval has that id (or it was dropped from the history). */
    NOT_FOUND(404, "not_found", ErrorCode.NOT_FOUND),
    /** The approval is no longer pending: decided, expired or abandoned. */
    NOT_PENDING(409, "approval_not_pending", ErrorCode.APPROVAL_NOT_PENDING);

    private final int status;
    private final String code;
    private final ErrorCode errorCode;

    Kind(int status, String code, ErrorCode errorCode) {
      this.status = status;
      this.code = code;
      this.errorCode = errorCode;
    }

    public int status() {
      return status;
    }

    /** The {@code error.details.error_code} the admin API answers with. */
    public String code() {
      return code;
    }

    /** The core error code with this status and code; empty where core has none (409). */
    public Optional<ErrorCode> errorCode() {
      return Optional.ofNullable(errorCode);
    }
  }

  private final Kind kind;
  private final transient Approval approval;

  ApprovalException(Kind kind, String message, Approval approval) {
    super(requireNonNull(message, "message"), null, false, false);
    this.kind = requireNonNull(kind, "kind");
    this.approval = approval;
  }

  public Kind kind() {
    return kind;
  }

  /** The approval as it stands, when it exists (for a 409, its final state). */
  public Optional<Approval> approval() {
    return Optional.ofNullable(approval);
  }
}
