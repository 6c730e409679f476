package dev.jitgw.audit.store;

/**
 * A record could not be made durable: the store failed a write (disk full, I/O error, a store in
 * its error state), the writer's queue is full, or the log is closed. Nothing of the submission was
 * written; the caller must not act as if it had been (contract: 503 {@code audit_unavailable}).
 */
public final class AuditUnavailableException extends RuntimeException {
  public AuditUnavailableException(String message) {
    super(message);
  }

  public AuditUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
