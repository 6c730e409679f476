/**
 * Identity verification, policy decisions, upstream credentials, masking, approvals and limits: the
 * business rules of the request path, free of sockets and storage engines.
 */
package dev.jitgw.policy;
