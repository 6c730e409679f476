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
import dev.jitgw.policy.masking.MaskingProfile;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.util.AttributeKey;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Summarizes the buffered request once and lets the policy decide: deny answers 403 {@code
 * policy_denied} naming the rule; allow continues with its obligations recorded on the exchange;
 * hold continues too, and the data plane holds the request for approval once it is recorded.
 */
public final class PolicyStage implements RequestStage {
  /**
   * The masking profile an allow decision names, compiled by the same policy version that decided
   * (a reload between the decision and the response does not change it). Absent: nothing to mask.
   */
  public static final AttributeKey<MaskingProfile> MASKING = AttributeKey.valueOf("jitgw.masking");

  /** The masking profile of a request an approval let through. */
  public static final String HELD_MASKING = "secrets";

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
    if (decision instanceof Decision.Allow allow) {
      if (!allow.mask().isEmpty()) {
        exchange.attr(MASKING).set(current.masking().profile(allow.mask()));
      }
      return CompletableFuture.completedFuture(null);
    }
    if (decision instanceof Decision.Hold) {
      // Held after the request and decision are recorded; an approved request is masked with the
      // built-in secrets profile (or the policy's own of that name), as the built-in policy does.
      exchange.attr(MASKING).set(current.masking().profile(List.of(HELD_MASKING)));
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.failedFuture(new GatewayException(denial(decision, current)));
  }

  static GatewayError denial(Decision decision, Policy policy) {
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
