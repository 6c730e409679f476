package dev.jitgw.policy.identity;

import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;

/** Helpers for the contract's 401 (and 503) outcomes of token verification. */
final class TokenRejected {
  private TokenRejected() {}

  static GatewayException missing() {
    return new GatewayException(
        ErrorCode.MISSING_CREDENTIAL,
        "No credential: send a JWT from a trusted issuer as 'Authorization: Bearer <jwt>' or"
            + " 'x-api-key: <jwt>'.");
  }

  static GatewayException malformed(String why) {
    return new GatewayException(
        ErrorCode.MALFORMED_TOKEN, "The credential is not a valid JWT: " + why);
  }

  static GatewayException invalid(String why) {
    return new GatewayException(ErrorCode.INVALID_TOKEN, "The token was rejected: " + why);
  }

  static GatewayException unavailable(String issuer) {
    return new GatewayException(
        ErrorCode.IDENTITY_PROVIDER_UNAVAILABLE,
        "The keys of issuer '"
            + issuer
            + "' cannot be fetched and none is cached, so the token cannot be checked; retry"
            + " later.");
  }

  /** An issuer value from an unverified token, shortened for messages. */
  static String shown(String value) {
    String oneLine = value.replaceAll("[\\p{Cntrl}]", "?");
    return oneLine.length() <= 120 ? oneLine : oneLine.substring(0, 120) + "...";
  }
}
