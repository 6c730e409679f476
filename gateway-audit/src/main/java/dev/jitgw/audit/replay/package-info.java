/**
 * Replay of exchanges from the audit log (contract §7, {@code bin/jitgw replay}): {@link
 * dev.jitgw.audit.replay.ExchangeTimeline} assembles one exchange's records into what the caller
 * received and when, and {@link dev.jitgw.audit.replay.Replayer} writes it out again with the
 * original timing, scaled.
 */
package dev.jitgw.audit.replay;
