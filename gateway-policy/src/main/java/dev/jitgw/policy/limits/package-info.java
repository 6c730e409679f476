/**
 * Limits and budgets (contract section 4, {@code limits}): windowed counters behind {@link
 * dev.jitgw.policy.limits.LimitStore}, a worst-case reserve before forwarding ({@link
 * dev.jitgw.policy.limits.LimitEnforcer}, {@link dev.jitgw.policy.limits.LimitStage}) and a settle
 * to the usage the response reports ({@link dev.jitgw.policy.limits.Reservation}, {@link
 * dev.jitgw.policy.limits.UsageAccumulator}).
 */
package dev.jitgw.policy.limits;
