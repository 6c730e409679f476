/**
 * Masking (contract section 4, {@code masking}): detectors that find sensitive values in response
 * text ({@link dev.jitgw.policy.masking.Masker}), also when the text arrives in pieces ({@link
 * dev.jitgw.policy.masking.TextStream}).
 */
package dev.jitgw.policy.masking;
