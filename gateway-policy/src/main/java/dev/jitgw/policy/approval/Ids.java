package dev.jitgw.policy.approval;

import dev.jitgw.core.exchange.ExchangeId;
import java.time.Clock;

/** Approval and grant ids: a prefix and a ULID, like exchange ids, so they sort by time. */
final class Ids {
  static final String APPROVAL_PREFIX = "apr_";
  static final String GRANT_PREFIX = "grt_";

  private Ids() {}

  static String approval(Clock clock) {
    return APPROVAL_PREFIX + ulid(clock);
  }

  static String grant(Clock clock) {
    return GRANT_PREFIX + ulid(clock);
  }

  private static String ulid(Clock clock) {
    return ExchangeId.next(clock).substring(ExchangeId.PREFIX.length());
  }
}
