package dev.jitgw.policy.rules;

import static java.util.Objects.requireNonNull;

import dev.cel.common.types.OpaqueType;
import dev.cel.common.values.OpaqueValue;
import dev.cel.runtime.CelVariableResolver;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The CEL variables {@code identity}, {@code request} and {@code now} of one decision, shared by
 * every condition it evaluates. A variable is converted on its first lookup and kept: a policy
 * whose rules never read {@code request} never converts it, and fifty rules share one conversion.
 * ({@code Program.eval(Map)} copied its map into a new activation on every call: a sixth of the
 * time of a 50-rule decision went there.)
 *
 * <p>Each documented field is also a variable of its own, named as it is written: {@code
 * request.model}, {@code identity.claims}. CEL resolves a dotted name to the longest declared
 * variable (as it does for protobuf package names), so the checker turns {@code request.model} into
 * one lookup here instead of a lookup of {@code request} and a map selection, the interpreter's
 * most frequent step. The field variables are {@code dyn}, the type of the map values they stand
 * for, and resolve to those very values: every condition type-checks and evaluates as before.
 *
 * <p>One instance serves one decision on one thread; it is not thread-safe.
 */
final class CelVariables implements CelVariableResolver {
  /** The fields of {@code identity} (docs/policy.md, "Variables"). */
  static final List<String> IDENTITY_FIELDS = CelValues.IDENTITY_FIELDS;

  /** The fields of {@code request} (docs/policy.md, "Variables"). */
  static final List<String> REQUEST_FIELDS = RequestSummary.CEL_FIELDS;

  /** Field variable name ({@code request.model}) to the field it reads ({@code model}). */
  private static final Map<String, String> IDENTITY_FIELD_VARIABLES =
      fieldVariables("identity", IDENTITY_FIELDS);

  private static final Map<String, String> REQUEST_FIELD_VARIABLES =
      fieldVariables("request", REQUEST_FIELDS);

  private final Identity identity;
  private final RequestSummary request;
  private final Instant now;
  private Map<String, Object> identityValue;
  private Map<String, Object> requestValue;

  /** The variables of a request. */
  static CelVariables of(Identity identity, RequestSummary request, Instant now) {
    return new CelVariables(identity, requireNonNull(request, "request"), now);
  }

  /** The variables where there is no request (the token endpoint): {@code request} is empty. */
  static CelVariables withoutRequest(Identity identity, Instant now) {
    return new CelVariables(identity, null, now);
  }

  private CelVariables(Identity identity, RequestSummary request, Instant now) {
    this.identity = requireNonNull(identity, "identity");
    this.request = request;
    this.now = requireNonNull(now, "now");
  }

  @Override
  public Optional<Object> find(String name) {
    return switch (name) {
      case "identity" -> Optional.of(identity());
      case "request" -> Optional.of(request());
      case "now" -> Optional.of(Scalar.of(CelValues.timestamp(now)));
      default -> {
        String field = IDENTITY_FIELD_VARIABLES.get(name);
        if (field != null) {
          yield Optional.ofNullable(Scalar.of(identityField(field)));
        }
        field = REQUEST_FIELD_VARIABLES.get(name);
        yield field == null
            ? Optional.empty()
            : Optional.ofNullable(Scalar.of(requestField(field)));
      }
    };
  }

  /**
   * A string, number, boolean or timestamp handed to the runtime already adapted. The runtime
   * adapts every variable it reads, twice (into its values, then back), by asking whether it is a
   * list, a collection or a map; on Java 17 those interface checks against a {@code String} or a
   * {@code Long} cost more than the rest of a comparison (each walks the class's interfaces). A
   * {@code CelValue} is handed back as it is and unwrapped to {@link #value()}: the condition sees
   * the plain value, as before. Lists and maps are not wrapped: selections and indexes apply to
   * them.
   */
  static final class Scalar extends OpaqueValue {
    private static final OpaqueType TYPE = OpaqueType.create("jitgw.scalar");

    private final Object value;

    private Scalar(Object value) {
      this.value = value;
    }

    /** {@code value} wrapped when it is a scalar; as it is otherwise (null too). */
    static Object of(Object value) {
      if (value instanceof String
          || value instanceof Long
          || value instanceof Boolean
          || value instanceof Double
          || value instanceof Instant) {
        return new Scalar(value);
      }
      return value;
    }

    @Override
    public Object value() {
      return value;
    }

    @Override
    public OpaqueType celType() {
      return TYPE;
    }
  }

  /**
   * The names of the field variables, {@code identity.sub} to {@code request.estimated_cost_usd}.
   */
  static Set<String> fieldVariableNames() {
    Set<String> names = new LinkedHashSet<>(IDENTITY_FIELD_VARIABLES.keySet());
    names.addAll(REQUEST_FIELD_VARIABLES.keySet());
    return names;
  }

  private static Map<String, String> fieldVariables(String variable, List<String> fields) {
    Map<String, String> names = new LinkedHashMap<>();
    for (String field : fields) {
      names.put(variable + "." + field, field);
    }
    return Collections.unmodifiableMap(names);
  }

  /**
   * A field of {@code identity}: what {@link #identity()} holds for it, converted alone when it is
   * not a nested value, so that a decision whose rules read only such fields never builds the whole
   * map. {@code claims} is converted once, with the map.
   */
  private Object identityField(String field) {
    if (identityValue != null || field.equals("claims")) {
      return identity().get(field);
    }
    return CelValues.identityField(identity, field);
  }

  /** A field of {@code request}, like {@link #identityField}: {@code tools} and {@code skills}. */
  private Object requestField(String field) {
    if (requestValue != null
        || request == null
        || field.equals("tools")
        || field.equals("skills")) {
      return request().get(field);
    }
    return request.celField(field);
  }

  private Map<String, Object> identity() {
    if (identityValue == null) {
      identityValue = CelValues.identity(identity);
    }
    return identityValue;
  }

  private Map<String, Object> request() {
    if (requestValue == null) {
      requestValue = request == null ? Map.of() : request.toCelValue();
    }
    return requestValue;
  }
}
