package dev.jitgw.server.dataplane;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.store.AuditLog;
import dev.jitgw.audit.store.AuditRecord;
import dev.jitgw.core.error.GatewayError;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records requests refused before the policy saw them (no or a bad credential, an unknown route, a
 * body over the cap, a body too slow) as {@code refusal} audit records, at a bounded rate so an
 * unauthenticated flood cannot fill the disk (architecture step 2): a token bucket of {@link
 * #BURST} records refilled at {@link #PER_SECOND} a second; refusals past it are counted and the
 * next record says how many were left out ({@code dropped}). Metrics count every refusal anyway.
 *
 * <p>Thread-safe: shared by every connection of a listener.
 */
final class RefusalRecorder {
  static final int PER_SECOND = 20;
  static final int BURST = 200;

  private static final Logger log = LoggerFactory.getLogger(RefusalRecorder.class);
  private static final long NANOS_PER_TOKEN = 1_000_000_000L / PER_SECOND;

  private final AuditLog auditLog;
  private final LongSupplier nanoTime;

  // Guarded by this.
  private long tokens = BURST;
  private long refilledAt;
  private long dropped;

  RefusalRecorder(AuditLog auditLog, LongSupplier nanoTime) {
    this.auditLog = requireNonNull(auditLog, "auditLog");
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
    this.refilledAt = nanoTime.getAsLong();
  }

  RefusalRecorder(AuditLog auditLog) {
    this(auditLog, System::nanoTime);
  }

  /**
   * Records one refusal, or counts it as dropped when the rate is spent.
   *
   * @param path the request path without its query (which may carry anything)
   * @return whether a record was submitted
   */
  boolean record(String exchangeId, String stage, String method, String path, GatewayError error) {
    long droppedBefore;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      long earned = (now - refilledAt) / NANOS_PER_TOKEN;
      if (earned > 0) {
        tokens = Math.min(BURST, tokens + earned);
        refilledAt += earned * NANOS_PER_TOKEN;
      }
      if (tokens == 0) {
        dropped++;
        return false;
      }
      tokens--;
      droppedBefore = dropped;
      dropped = 0;
    }
    ObjectNode fields = AuditRecord.fields();
    fields.put("stage", stage);
    fields.put("method", method);
    fields.put("path", path);
    fields.put("status", error.status());
    fields.put("error_code", error.code().code());
    if (droppedBefore > 0) {
      fields.put("dropped", droppedBefore);
    }
    auditLog
        .append(new AuditRecord(AuditRecord.REFUSAL, exchangeId, fields))
        .whenComplete(
            (seq, failure) -> {
              if (failure != null) {
                log.debug("{}: refusal not recorded: {}", exchangeId, failure.toString());
              }
            });
    return true;
  }
}
