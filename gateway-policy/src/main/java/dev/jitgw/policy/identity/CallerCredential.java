package dev.jitgw.policy.identity;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;

/**
 * Where a caller's JWT travels: {@code Authorization: Bearer <jwt>} (how current SDKs send both
 * {@code ANTHROPIC_API_KEY} and {@code ANTHROPIC_AUTH_TOKEN}) or {@code x-api-key: <jwt>} (older
 * clients). Contract section 2.
 */
public final class CallerCredential {
  private CallerCredential() {}

  /** The presented token, if any; a non-Bearer {@code Authorization} does not count. */
  public static Optional<String> from(HttpHeaders headers) {
    String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
    if (authorization != null) {
      String value = authorization.trim();
      if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
        String token = value.substring(7).trim();
        if (!token.isEmpty()) {
          return Optional.of(token);
        }
      }
    }
    String apiKey = headers.get("x-api-key");
    if (apiKey != null && !apiKey.isBlank()) {
      return Optional.of(apiKey.trim());
    }
    return Optional.empty();
  }
}
