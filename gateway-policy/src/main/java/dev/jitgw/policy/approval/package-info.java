/**
 * Approval holds and grants (contract section 5): {@link dev.jitgw.policy.approval.ApprovalService}
 * turns a policy {@code Hold} into a future that an approver's decision, the timeout or the caller
 * leaving completes, without any thread waiting; {@link dev.jitgw.policy.approval.ApprovalStore}
 * and {@link dev.jitgw.policy.approval.GrantStore} keep the state a second node would share, with
 * one embedded file-backed implementation each.
 */
package dev.jitgw.policy.approval;
