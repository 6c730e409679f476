package dev.jitgw.policy.rules;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.Exchange;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.exchange.RequestSummaryParser;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.core.stage.RequestStage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Summarizes the buffered request once and lets the policy decide: deny answers 403 {@code
 * policy_denied} naming the rule; allow continues with its obligations recorded on the exchange. A
 * hold cannot be served until approvals exist, so it is denied (fail closed) with a message that
 * says so.
 */
public final class PolicyStage implements RequestStage {
  private final Supplier<Policy> policy;
  private final RequestSummaryParser parser;
  private final Clock clock;

  public PolicyStage(Supplier<Policy> policy, RequestSummaryParser parser, Clock clock) {
    this.policy = requireNonNull(policy, "policy");
    this.parser = requireNonNull(parser, "parser");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public String name() {
    return "policy";
  }

  @Override
  public CompletionStage<Void> apply(Exchange exchange) {
    Identity identity = exchange.identity().orElse(null);
    if (identity == null) {
      // The authentication stage always runs first; without an identity nothing is decided.
      return CompletableFuture.failedFuture(
          new GatewayException(ErrorCode.MISSING_CREDENTIAL, "No verified identity."));
    }
    RequestSummary summary;
    try {
      ByteBuf body = exchange.body().map(ByteBuf::duplicate).orElse(Unpooled.EMPTY_BUFFER);
      summary =
          parser.parse(
              exchange.method(),
              exchange.uri(),
              exchange.requestHeaders(),
              new ByteBufInputStream(body),
              body.readableBytes());
    } catch (GatewayException e) {
      return CompletableFuture.failedFuture(e);
    }
    exchange.summary(summary);
    Policy current = policy.get();
    Policy.Evaluation evaluation = current.evaluate(identity, summary, clock.instant());
    Decision decision = evaluation.decision();
    exchange.decision(decision, current.version());
    if (decision instanceof Decision.Allow) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.failedFuture(new GatewayException(denial(decision, current)));
  }

  static GatewayError denial(Decision decision, Policy policy) {
    if (decision instanceof Decision.Hold hold) {
      return GatewayError.of(
              ErrorCode.POLICY_DENIED,
              "Rule '"
                  + hold.ruleName()
                  + "' requires approval by "
                  + String.join(", ", hold.approvers())
                  + "; approval holds are not available in this gateway yet, so the request is"
                  + " denied.")
          .withDetail("rule", hold.ruleName());
    }
    Decision.Deny deny = (Decision.Deny) decision;
    if (deny.rule().isEmpty()) {
      return GatewayError.of(
              ErrorCode.POLICY_DENIED,
              "Denied: no policy rule allows this request (policy version "
                  + policy.version()
                  + ").")
          .withDetail("policy_version", policy.version());
    }
    return GatewayError.of(
            ErrorCode.POLICY_DENIED, "Denied by rule '" + deny.rule().get() + "': " + deny.reason())
        .withDetail("rule", deny.rule().get());
  }
}
