package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.identity.Identity;

/**
 * Who a verified identity is, for approvals and grants: the issuer and its {@code sub} together,
 * since two issuers may hand out the same {@code sub} to different people.
 *
 * @param issuer the token's {@code iss}
 * @param sub the token's {@code sub}
 */
public record Subject(String issuer, String sub) {

  public Subject {
    requireNonNull(issuer, "issuer");
    requireNonNull(sub, "sub");
  }

  public static Subject of(Identity identity) {
    requireNonNull(identity, "identity");
    return new Subject(identity.issuer(), identity.subject());
  }

  @Override
  public String toString() {
    return sub + " (" + issuer + ")";
  }
}
