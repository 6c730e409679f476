package dev.jitgw.policy.rules;

import dev.jitgw.core.identity.Identity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Converts gateway values into the shapes the CEL runtime evaluates (longs, doubles, maps). */
final class CelValues {
  private CelValues() {}

  /**
   * CEL timestamps. The runtime adapts {@link Instant} inside maps too (a protobuf {@code
   * Timestamp} nested in a map value finds no comparison overload).
   */
  static Instant timestamp(Instant instant) {
    return instant;
  }

  /** The CEL variable {@code identity} (contract section 3). */
  static Map<String, Object> identity(Identity identity) {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("sub", identity.subject());
    value.put("iss", identity.issuer());
    value.put("groups", identity.groups());
    value.put("purpose", identity.purpose().orElse(""));
    value.put("claims", normalize(identity.claims()));
    value.put("expires_at", timestamp(identity.expiresAt()));
    return value;
  }

  /** JSON values as CEL expects them: integers as long, no nulls (an absent key instead). */
  @SuppressWarnings("unchecked")
  static Object normalize(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        Object normalized = normalize(entry.getValue());
        if (normalized != null) {
          out.put(String.valueOf(entry.getKey()), normalized);
        }
      }
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object item : list) {
        Object normalized = normalize(item);
        if (normalized != null) {
          out.add(normalized);
        }
      }
      return out;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Float f) {
      return f.doubleValue();
    }
    if (value instanceof java.util.Date date) {
      return timestamp(date.toInstant());
    }
    return value;
  }
}
