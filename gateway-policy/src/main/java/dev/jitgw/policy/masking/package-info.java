/**
 * Masking (contract section 4, {@code masking}; docs/masking.md): {@link
 * dev.jitgw.policy.masking.MaskingPolicy} compiles a policy's profiles and custom detectors, {@link
 * dev.jitgw.policy.masking.MaskingProfile} is what one response is masked with, {@link
 * dev.jitgw.policy.masking.JsonBodyMasker} masks a whole JSON body and {@link
 * dev.jitgw.policy.masking.SseMasker} an event stream as it passes. {@link
 * dev.jitgw.policy.masking.Masker} and {@link dev.jitgw.policy.masking.TextStream} mask plain text,
 * whole or in pieces. Failures are {@link dev.jitgw.policy.masking.MaskingException}: the caller
 * ends the response, nothing unmasked is returned.
 */
package dev.jitgw.policy.masking;
