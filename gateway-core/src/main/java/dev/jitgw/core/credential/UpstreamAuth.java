package dev.jitgw.core.credential;

import static java.util.Objects.requireNonNull;

/**
 * The credential the gateway itself presents upstream: one header. {@link #toString()} never shows
 * the value, so an accidental log line cannot leak it.
 *
 * @param headerName {@code x-api-key} for an API key, {@code authorization} for a bearer token
 * @param headerValue the secret value as sent
 * @param bearer whether this is an OAuth bearer access token (then the {@code oauth-*} beta header
 *     is sent upstream, contract section 2)
 */
public record UpstreamAuth(String headerName, String headerValue, boolean bearer) {

  public UpstreamAuth {
    requireNonNull(headerName, "headerName");
    requireNonNull(headerValue, "headerValue");
  }

  public static UpstreamAuth apiKey(String key) {
    return new UpstreamAuth("x-api-key", key, false);
  }

  public static UpstreamAuth bearer(String token) {
    return new UpstreamAuth("authorization", "Bearer " + token, true);
  }

  @Override
  public String toString() {
    return "UpstreamAuth{" + headerName + ": <redacted>}";
  }
}
