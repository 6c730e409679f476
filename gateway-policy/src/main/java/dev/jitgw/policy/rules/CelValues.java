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

  /** The fields of the CEL variable {@code identity}, in order (docs/policy.md, "Variables"). */
  static final List<String> IDENTITY_FIELDS =
      List.of("sub", "iss", "groups", "purpose", "claims", "expires_at");

  /** The CEL variable {@code identity} (contract section 3): each of {@link #IDENTITY_FIELDS}. */
  static Map<String, Object> identity(Identity identity) {
    Map<String, Object> value = new LinkedHashMap<>();
    for (String field : IDENTITY_FIELDS) {
      value.put(field, identityField(identity, field));
    }
    return value;
  }

  /** One field of {@link #identity}, converted on its own. */
  static Object identityField(Identity identity, String field) {
    return switch (field) {
      case "sub" -> identity.subject();
      case "iss" -> identity.issuer();
      case "groups" -> identity.groups();
      case "purpose" -> identity.purpose().orElse("");
      case "claims" -> normalize(identity.claims());
      case "expires_at" -> timestamp(identity.expiresAt());
      default -> throw new IllegalArgumentException("identity has no field '" + field + "'");
    };
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
