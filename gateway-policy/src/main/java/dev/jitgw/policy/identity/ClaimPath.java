package dev.jitgw.policy.identity;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A dotted claim path such as {@code realm_access.roles}, read from a token's claims: how issuers
 * configure where groups and purpose live, for the verifier and for {@code policy test} alike.
 */
public final class ClaimPath {
  private ClaimPath() {}

  /** The value at {@code path}, or {@code null} when any step is missing. */
  public static Object valueAt(Map<String, Object> claims, String path) {
    Object node = claims;
    for (String step : path.split("\\.")) {
      if (!(node instanceof Map<?, ?> map)) {
        return null;
      }
      node = map.get(step);
    }
    return node;
  }

  /** The value at {@code path} as strings: a list's items, a single value, or none. */
  public static List<String> stringsAt(Map<String, Object> claims, String path) {
    Object value = valueAt(claims, path);
    if (value == null) {
      return List.of();
    }
    if (value instanceof List<?> list) {
      List<String> out = new ArrayList<>(list.size());
      for (Object item : list) {
        if (item != null) {
          out.add(String.valueOf(item));
        }
      }
      return out;
    }
    return List.of(String.valueOf(value));
  }
}
