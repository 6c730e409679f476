package dev.jitgw.core.error;

/**
 * Every error the gateway produces itself, with the HTTP status and the Anthropic {@code
 * error.type} the SDKs map to their typed exceptions (contract section 2, "Errors"). The {@link
 * #code()} is what callers branch on: it is rendered as {@code error.details.error_code}.
 */
public enum ErrorCode {
  // 400
  BAD_REQUEST(400, "invalid_request_error", "bad_request"),
  INVALID_JSON(400, "invalid_request_error", "invalid_json"),
  // 401
  MISSING_CREDENTIAL(401, "authentication_error", "missing_credential"),
  MALFORMED_TOKEN(401, "authentication_error", "malformed_token"),
  INVALID_TOKEN(401, "authentication_error", "invalid_token"),
  TOKEN_EXPIRED(401, "authentication_error", "token_expired"),
  TOKEN_NOT_YET_VALID(401, "authentication_error", "token_not_yet_valid"),
  TOKEN_LIFETIME_TOO_LONG(401, "authentication_error", "token_lifetime_too_long"),
  // 403
  POLICY_DENIED(403, "permission_error", "policy_denied"),
  APPROVAL_DENIED(403, "permission_error", "approval_denied"),
  APPROVAL_TIMEOUT(403, "permission_error", "approval_timeout"),
  APPROVAL_NOT_PENDING(409, "invalid_request_error", "approval_not_pending"),
  /** A verified caller without the group an admin route needs. */
  FORBIDDEN(403, "permission_error", "forbidden"),
  // 404, 405
  NOT_FOUND(404, "not_found_error", "not_found"),
  // 408
  /** The caller did not finish sending its request within {@code http.request_read_timeout}. */
  REQUEST_TIMEOUT(408, "invalid_request_error", "request_timeout"),
  // 413, 414, 431
  REQUEST_TOO_LARGE(413, "request_too_large", "request_too_large"),
  URI_TOO_LONG(414, "invalid_request_error", "uri_too_long"),
  HEADERS_TOO_LARGE(431, "invalid_request_error", "headers_too_large"),
  // 429
  RATE_LIMITED(429, "rate_limit_error", "rate_limited"),
  BUDGET_EXCEEDED(429, "rate_limit_error", "budget_exceeded"),
  // 5xx
  UPSTREAM_UNAVAILABLE(502, "api_error", "upstream_unavailable"),
  UPSTREAM_TIMEOUT(504, "timeout_error", "upstream_timeout"),
  AUDIT_UNAVAILABLE(503, "api_error", "audit_unavailable"),
  /**
   * The response could not be masked (not JSON where JSON was declared, an oversize event, a
   * compressed body): it is withheld rather than forwarded unmasked.
   */
  MASKING_FAILED(502, "api_error", "masking_failed"),
  /** No upstream credential is configured; the message names the missing setting. */
  UPSTREAM_CREDENTIAL_MISSING(503, "api_error", "upstream_credential_missing"),
  /** The identity provider cannot be reached and no cached key can verify the token. */
  IDENTITY_PROVIDER_UNAVAILABLE(503, "api_error", "identity_provider_unavailable"),
  SHUTTING_DOWN(503, "overloaded_error", "shutting_down"),
  INTERNAL(500, "api_error", "internal_error");

  private final int status;
  private final String type;
  private final String code;

  ErrorCode(int status, String type, String code) {
    this.status = status;
    this.type = type;
    this.code = code;
  }

  /** The HTTP status of the error response. */
  public int status() {
    return status;
  }

  /** The Anthropic {@code error.type}. */
  public String type() {
    return type;
  }

  /** The stable {@code error.details.error_code}. */
  public String code() {
    return code;
  }

  /** Denials must not be retried by the SDKs (contract: {@code x-should-retry: false}). */
  public boolean isDenial() {
    return status == 401 || status == 403;
  }
}
