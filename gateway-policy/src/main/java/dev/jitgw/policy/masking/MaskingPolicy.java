package dev.jitgw.policy.masking;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The compiled {@code masking} section of a policy (contract section 4): named profiles and the
 * custom detectors they may use beside the built-in ones.
 *
 * <pre>
 * masking:
 *   profiles:
 *     secrets: {detectors: [anthropic_api_key, aws_access_key, private_key, jwt]}
 *     pii: {detectors: [email, credit_card, us_ssn], fields: [ssn, password], thinking: drop}
 *     support: {detectors: [credit_card, iban], replacement: partial}
 *   detectors:
 *     - name: codename
 *       regex: '\bPROJECT-(ATLAS|ORION)\b'
 *     - name: customer
 *       terms: [Acme Corp, Globex]
 *       ignore_case: true
 * </pre>
 *
 * <p>Two profiles are built in, {@code secrets} and {@code pii} ({@link #BUILT_IN_PROFILES}); a
 * policy that defines a profile of the same name replaces it.
 *
 * <p>Immutable and thread-safe; the profiles it builds are cached.
 */
public final class MaskingPolicy {
  /** Profiles every policy has unless it defines its own of the same name. */
  public static final Map<String, List<String>> BUILT_IN_PROFILES =
      Map.of(
          "secrets",
          List.of("anthropic_api_key", "aws_access_key", "private_key", "jwt", "generic_secret"),
          "pii",
          List.of("email", "credit_card", "us_ssn", "iban", "phone"));

  private static final Pattern DETECTOR_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");
  private static final Pattern PROFILE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Set<String> RESERVED = Set.of(ContentMasker.THINKING, "field");
  private static final int MAX_TERM = 256;

  private static final MaskingPolicy DEFAULTS = compile(null);

  private record ProfileSpec(
      List<String> detectors,
      Set<String> fields,
      ThinkingMode thinking,
      ReplacementMode replacement) {}

  private final Map<String, ProfileSpec> profiles;
  private final Map<String, Detector> custom;
  private final Map<List<String>, MaskingProfile> cache = new ConcurrentHashMap<>();

  private MaskingPolicy(Map<String, ProfileSpec> profiles, Map<String, Detector> custom) {
    this.profiles = profiles;
    this.custom = custom;
  }

  /** The built-in profiles and detectors only. */
  public static MaskingPolicy defaults() {
    return DEFAULTS;
  }

  /**
   * Compiles the {@code masking} section (null or missing: no section).
   *
   * @throws MaskingPolicyException naming the key that is wrong
   */
  public static MaskingPolicy compile(JsonNode masking) {
    List<String> root = List.of("masking");
    Map<String, Detector> custom = new LinkedHashMap<>();
    Map<String, ProfileSpec> profiles = new LinkedHashMap<>();
    BUILT_IN_PROFILES.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e ->
                profiles.put(
                    e.getKey(),
                    new ProfileSpec(
                        e.getValue(), Set.of(), ThinkingMode.LEAVE, ReplacementMode.MASK)));
    if (masking == null || masking.isMissingNode() || masking.isNull()) {
      return new MaskingPolicy(profiles, custom);
    }
    if (!masking.isObject()) {
      throw new MaskingPolicyException(root, "expected a mapping with profiles and detectors");
    }
    checkKeys(masking, root, Set.of("profiles", "detectors"));
    JsonNode detectors = masking.get("detectors");
    if (detectors != null && !detectors.isNull()) {
      List<String> path = List.of("masking", "detectors");
      if (!detectors.isArray()) {
        throw new MaskingPolicyException(path, "expected a list of detectors");
      }
      for (int i = 0; i < detectors.size(); i++) {
        Detector detector = customDetector(detectors.get(i), append(path, "[" + i + "]"), custom);
        custom.put(detector.name(), detector);
      }
    }
    JsonNode defined = masking.get("profiles");
    if (defined != null && !defined.isNull()) {
      List<String> path = List.of("masking", "profiles");
      if (!defined.isObject()) {
        throw new MaskingPolicyException(path, "expected a mapping of profile names to profiles");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = defined.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        List<String> at = append(path, entry.getKey());
        if (!PROFILE_NAME.matcher(entry.getKey()).matches()) {
          throw new MaskingPolicyException(
              at, "profile name '" + entry.getKey() + "' (expected letters, digits, _ and -)");
        }
        profiles.put(entry.getKey(), profile(entry.getValue(), at, custom));
      }
    }
    return new MaskingPolicy(profiles, custom);
  }

  private static Detector customDetector(
      JsonNode spec, List<String> path, Map<String, Detector> defined) {
    if (spec == null || !spec.isObject()) {
      throw new MaskingPolicyException(path, "expected a detector: {name, regex} or {name, terms}");
    }
    checkKeys(spec, path, Set.of("name", "regex", "terms", "ignore_case"));
    String name = text(spec, "name", path);
    if (name == null) {
      throw new MaskingPolicyException(path, "a custom detector needs a name");
    }
    List<String> at = append(path, "name");
    if (!DETECTOR_NAME.matcher(name).matches()) {
      throw new MaskingPolicyException(
          at, "detector name '" + name + "' (expected lower case letters, digits and _)");
    }
    if (BuiltInDetectors.named(name).isPresent()) {
      throw new MaskingPolicyException(at, "'" + name + "' is a built-in detector");
    }
    if (RESERVED.contains(name)) {
      throw new MaskingPolicyException(at, "'" + name + "' is reserved for masking counts");
    }
    if (defined.containsKey(name)) {
      throw new MaskingPolicyException(at, "detector '" + name + "' is defined twice");
    }
    boolean ignoreCase = false;
    JsonNode ignore = spec.get("ignore_case");
    if (ignore != null && !ignore.isNull()) {
      if (!ignore.isBoolean()) {
        throw new MaskingPolicyException(append(path, "ignore_case"), "expected true or false");
      }
      ignoreCase = ignore.booleanValue();
    }
    String regex = text(spec, "regex", path);
    JsonNode terms = spec.get("terms");
    if ((regex == null) == (terms == null || terms.isNull())) {
      throw new MaskingPolicyException(path, "expected exactly one of regex or terms");
    }
    if (regex != null) {
      try {
        return new RegexDetector(name, Regex.compile(ignoreCase ? "(?i)" + regex : regex));
      } catch (MaskingPolicyException e) {
        throw e;
      } catch (IllegalArgumentException e) {
        throw new MaskingPolicyException(append(path, "regex"), e.getMessage());
      }
    }
    List<String> at2 = append(path, "terms");
    List<String> list = strings(terms, at2);
    if (list.isEmpty()) {
      throw new MaskingPolicyException(at2, "expected at least one term");
    }
    for (int i = 0; i < list.size(); i++) {
      String term = list.get(i);
      if (term.isBlank() || term.length() > MAX_TERM || !term.strip().equals(term)) {
        throw new MaskingPolicyException(
            append(at2, "[" + i + "]"),
            "expected a term of 1 to " + MAX_TERM + " characters without surrounding spaces");
      }
    }
    try {
      return RegexDetector.terms(name, list, ignoreCase);
    } catch (IllegalArgumentException e) {
      throw new MaskingPolicyException(at2, e.getMessage());
    }
  }

  private static ProfileSpec profile(
      JsonNode spec, List<String> path, Map<String, Detector> custom) {
    if (spec == null || spec.isNull()) {
      return new ProfileSpec(List.of(), Set.of(), ThinkingMode.LEAVE, ReplacementMode.MASK);
    }
    if (!spec.isObject()) {
      throw new MaskingPolicyException(
          path, "expected a profile: {detectors, fields, thinking, replacement}");
    }
    checkKeys(spec, path, Set.of("detectors", "fields", "thinking", "replacement"));
    List<String> detectors = new ArrayList<>();
    JsonNode names = spec.get("detectors");
    if (names != null && !names.isNull()) {
      List<String> at = append(path, "detectors");
      List<String> list = strings(names, at);
      for (int i = 0; i < list.size(); i++) {
        String name = list.get(i);
        if (BuiltInDetectors.named(name).isEmpty() && !custom.containsKey(name)) {
          List<String> known = new ArrayList<>(BuiltInDetectors.names());
          known.addAll(custom.keySet());
          throw new MaskingPolicyException(
              append(at, "[" + i + "]"),
              "unknown detector '" + name + "' (expected one of " + String.join(", ", known) + ")");
        }
        if (!detectors.contains(name)) {
          detectors.add(name);
        }
      }
    }
    Set<String> fields = new LinkedHashSet<>();
    JsonNode fieldNames = spec.get("fields");
    if (fieldNames != null && !fieldNames.isNull()) {
      List<String> at = append(path, "fields");
      List<String> list = strings(fieldNames, at);
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i).isEmpty()) {
          throw new MaskingPolicyException(append(at, "[" + i + "]"), "expected a key name");
        }
        fields.add(list.get(i));
      }
    }
    ThinkingMode thinking = ThinkingMode.LEAVE;
    String mode = text(spec, "thinking", path);
    if (mode != null) {
      thinking =
          switch (mode) {
            case "leave" -> ThinkingMode.LEAVE;
            case "drop" -> ThinkingMode.DROP;
            default ->
                throw new MaskingPolicyException(
                    append(path, "thinking"), "'" + mode + "' (expected leave or drop)");
          };
    }
    ReplacementMode replacement = ReplacementMode.MASK;
    String how = text(spec, "replacement", path);
    if (how != null) {
      replacement =
          switch (how) {
            case "mask" -> ReplacementMode.MASK;
            case "partial" -> ReplacementMode.PARTIAL;
            case "pseudonym" -> ReplacementMode.PSEUDONYM;
            default ->
                throw new MaskingPolicyException(
                    append(path, "replacement"),
                    "'" + how + "' (expected mask, partial or pseudonym)");
          };
    }
    return new ProfileSpec(List.copyOf(detectors), Set.copyOf(fields), thinking, replacement);
  }

  private static void checkKeys(JsonNode node, List<String> path, Set<String> allowed) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        throw new MaskingPolicyException(
            append(path, key),
            "unknown key (expected " + String.join(", ", new TreeSet<>(allowed)) + ")");
      }
    }
  }

  private static String text(JsonNode node, String key, List<String> path) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new MaskingPolicyException(append(path, key), "expected a string");
    }
    return value.textValue();
  }

  private static List<String> strings(JsonNode node, List<String> path) {
    if (!node.isArray()) {
      throw new MaskingPolicyException(path, "expected a list of strings");
    }
    List<String> list = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      if (!node.get(i).isTextual()) {
        throw new MaskingPolicyException(append(path, "[" + i + "]"), "expected a string");
      }
      list.add(node.get(i).textValue());
    }
    return list;
  }

  private static List<String> append(List<String> path, String step) {
    List<String> longer = new ArrayList<>(path);
    longer.add(step);
    return longer;
  }

  /** The profile names: the policy's and the built-in ones it did not replace. */
  public Set<String> profileNames() {
    return profiles.keySet();
  }

  /** The names of the custom detectors, in the order they were defined. */
  public List<String> customDetectors() {
    return List.copyOf(custom.keySet());
  }

  /**
   * The union of the named profiles. Detectors keep a fixed order (built-in ones first, then custom
   * ones as defined), which decides the name of a value two of them match alike. Values are
   * replaced by the most protective mode of the profiles that name detectors or fields: {@code
   * mask}, then {@code pseudonym}, then {@code partial}.
   *
   * @throws IllegalArgumentException for a name that is not a profile
   */
  public MaskingProfile profile(Collection<String> names) {
    TreeSet<String> key = new TreeSet<>(names);
    if (key.isEmpty()) {
      return MaskingProfile.none();
    }
    return cache.computeIfAbsent(List.copyOf(key), this::build);
  }

  private MaskingProfile build(List<String> names) {
    Set<String> wanted = new LinkedHashSet<>();
    Set<String> fields = new LinkedHashSet<>();
    ThinkingMode thinking = ThinkingMode.LEAVE;
    ReplacementMode replacement = null;
    for (String name : names) {
      ProfileSpec spec = profiles.get(name);
      if (spec == null) {
        throw new IllegalArgumentException(
            "masking profile '" + name + "' (expected one of " + profiles.keySet() + ")");
      }
      wanted.addAll(spec.detectors());
      fields.addAll(spec.fields());
      if (spec.thinking() == ThinkingMode.DROP) {
        thinking = ThinkingMode.DROP;
      }
      // The most protective mode wins; a profile that replaces nothing (only thinking) has no say.
      if (!spec.detectors().isEmpty() || !spec.fields().isEmpty()) {
        replacement =
            replacement == null
                ? spec.replacement()
                : ReplacementMode.strictest(replacement, spec.replacement());
      }
    }
    List<Detector> detectors = new ArrayList<>();
    for (String builtIn : BuiltInDetectors.names()) {
      if (wanted.contains(builtIn)) {
        detectors.add(BuiltInDetectors.named(builtIn).orElseThrow());
      }
    }
    for (Map.Entry<String, Detector> entry : custom.entrySet()) {
      if (wanted.contains(entry.getKey())) {
        detectors.add(entry.getValue());
      }
    }
    return new MaskingProfile(
        names,
        new Masker(detectors),
        fields,
        thinking,
        replacement == null ? ReplacementMode.MASK : replacement);
  }
}
