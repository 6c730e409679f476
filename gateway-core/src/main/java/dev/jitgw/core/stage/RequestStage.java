package dev.jitgw.core.stage;

import dev.jitgw.core.exchange.Exchange;
import java.util.concurrent.CompletionStage;

/**
 * One step of the request path (authenticate, summarize, record, decide, reserve, hold,
 * credential).
 *
 * <p>A stage never blocks: work that must wait (a JWKS fetch, an fsync, an approval) returns an
 * incomplete stage, and the runner resumes the exchange on its own event loop when it completes. A
 * stage that fails completes exceptionally with a {@link dev.jitgw.core.error.GatewayException},
 * which the runner answers in the contract's error shape; anything else is an internal error.
 */
@FunctionalInterface
public interface RequestStage {

  /** Stage name, for logs and metrics. */
  default String name() {
    return getClass().getSimpleName();
  }

  CompletionStage<Void> apply(Exchange exchange);
}
