package dev.jitgw.core.config;

/**
 * A named upstream credential that policy rules pick with {@code allow: {route: NAME}}, so that
 * different identities (one team each, say) are billed to different upstream keys or organizations.
 * Exactly one of {@code api_key} and {@code federation}.
 *
 * @param name what rules refer to
 * @param apiKey secret reference ({@code env:NAME} or {@code file:PATH}) of an upstream API key
 * @param federation keyless: the gateway's identity exchanged for this route's access tokens
 */
public record UpstreamRoute(String name, String apiKey, UpstreamFederationConfig federation) {

  public UpstreamRoute {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name: missing (rules pick a route by name)");
    }
    if ((apiKey == null) == (federation == null)) {
      throw new IllegalArgumentException(
          "route '" + name + "': expected exactly one of api_key and federation");
    }
  }
}
