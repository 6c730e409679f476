package dev.jitgw.policy.identity;

/**
 * Told about each attempt to fetch a trusted issuer's key set (JWKS), for metrics: the first fetch,
 * refresh-ahead and refetches on an unknown {@code kid} succeed or fail; a failed OIDC discovery
 * counts as a failure too, since no key set can be fetched without it. Called on the fetching
 * thread (a blocking executor or nimbus' refresh thread), so it must be quick and must not throw;
 * whatever it does, verification is unchanged.
 */
@FunctionalInterface
public interface JwksFetchListener {
  JwksFetchListener NONE = (issuer, success) -> {};

  /**
   * @param issuer the issuer as configured ({@code iss})
   * @param success whether the key set document was fetched (HTTP 2xx within the limits)
   */
  void fetched(String issuer, boolean success);
}
