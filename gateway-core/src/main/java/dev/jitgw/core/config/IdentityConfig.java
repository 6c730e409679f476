package dev.jitgw.core.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Who may call: the trusted issuers and limits on the tokens they sign.
 *
 * @param issuers trusted issuers; {@code JITGW_OIDC_ISSUER} adds one. A token from any other issuer
 *     is refused without a network call
 * @param maxTokenSize longest accepted credential; longer ones are refused before parsing
 * @param cacheSize verified tokens kept (until they expire), keyed by the whole token
 * @param tokenIssuer the {@code iss} of the tokens the gateway's own token endpoint issues; must
 *     differ from every trusted issuer
 */
public record IdentityConfig(
    List<IssuerConfig> issuers, DataSize maxTokenSize, Integer cacheSize, String tokenIssuer) {

  public IdentityConfig {
    issuers = issuers == null ? List.of() : List.copyOf(issuers);
    Set<String> seen = new HashSet<>();
    for (IssuerConfig issuer : issuers) {
      if (!seen.add(issuer.issuer())) {
        throw new IllegalArgumentException(
            "issuers: '" + issuer.issuer() + "' is listed twice (expected each issuer once)");
      }
    }
    maxTokenSize = maxTokenSize == null ? DataSize.ofKibibytes(16) : maxTokenSize;
    if (maxTokenSize.bytes() < 512 || maxTokenSize.bytes() > 1024 * 1024) {
      throw new IllegalArgumentException(
          "max_token_size: " + maxTokenSize + " (expected: 512 bytes to 1MiB)");
    }
    cacheSize = cacheSize == null ? 100_000 : cacheSize;
    tokenIssuer = tokenIssuer == null || tokenIssuer.isBlank() ? "jitgw" : tokenIssuer.trim();
    if (seen.contains(tokenIssuer)) {
      throw new IllegalArgumentException(
          "token_issuer: '"
              + tokenIssuer
              + "' is also a trusted issuer (expected a distinct name)");
    }
    if (cacheSize < 0) {
      throw new IllegalArgumentException("cache_size: " + cacheSize + " (expected: >= 0)");
    }
  }

  public static IdentityConfig defaults() {
    return new IdentityConfig(null, null, null, null);
  }

  public IdentityConfig withIssuers(List<IssuerConfig> issuers) {
    return new IdentityConfig(issuers, maxTokenSize, cacheSize, tokenIssuer);
  }
}
