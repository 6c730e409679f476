package dev.jitgw.core.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Binds {@link GatewayConfig} from, highest first: command-line flags, environment variables, the
 * YAML config file, built-in defaults (contract section 1).
 *
 * <p>The file is bound on its own first, so that a mistake in it is reported with its line and
 * column; the environment and flags are then laid over it key by key and the result bound again, so
 * that a bad variable or flag is reported under its own name.
 */
public final class ConfigLoader {

  /** Environment variables and the config key each one sets. Part of the contract. */
  public static final Map<String, String> ENVIRONMENT =
      orderedMap(
          "JITGW_LISTEN", "listen",
          "JITGW_ADMIN_LISTEN", "admin_listen",
          "JITGW_UPSTREAM_URL", "upstream.url",
          "JITGW_DATA_DIR", "data_dir",
          "JITGW_POLICY_FILE", "policy_file");

  /**
   * The one trusted issuer settable from the environment (contract section 1): added to the file's
   * {@code identity.issuers}, or laid over the entry with the same issuer.
   */
  public static final String OIDC_ISSUER = "JITGW_OIDC_ISSUER";

  public static final String OIDC_AUDIENCE = "JITGW_OIDC_AUDIENCE";

  /** Comma list of the groups allowed to use the admin API (contract section 1). */
  public static final String ADMIN_GROUPS = "JITGW_ADMIN_GROUPS";

  public static final String OIDC_JWKS_URI = "JITGW_OIDC_JWKS_URI";

  /**
   * {@code ANTHROPIC_API_KEY} holds the key itself, not a reference: when it is set it wins over
   * the file's {@code upstream.api_key} (environment above file), by pointing the reference at it.
   */
  public static final String API_KEY_VARIABLE = "ANTHROPIC_API_KEY";

  private static final ObjectMapper YAML = newMapper();
  private static final Pattern FIELD_PREFIX = Pattern.compile("([a-z][a-z0-9_]*): ");

  private ConfigLoader() {}

  /**
   * Loads the config.
   *
   * @param file the config file, if any ({@code --config} or {@code JITGW_CONFIG})
   * @param environment the process environment
   * @param flags flag values by config key (e.g. {@code "listen" -> "127.0.0.1:0"}); the key names
   *     the flag in error messages as {@code --listen}
   */
  public static GatewayConfig load(
      Optional<Path> file, Map<String, String> environment, Map<String, String> flags) {
    ObjectNode tree = JsonNodeFactory.instance.objectNode();
    if (file.isPresent()) {
      tree = readFile(file.get());
    }
    Map<String, String> sources = new LinkedHashMap<>();
    for (Map.Entry<String, String> variable : ENVIRONMENT.entrySet()) {
      String value = environment.get(variable.getKey());
      if (value != null && !value.isBlank()) {
        set(tree, variable.getValue(), value.trim());
        sources.put(variable.getValue(), "environment variable " + variable.getKey());
      }
    }
    addEnvironmentIssuer(tree, environment, sources);
    String adminGroups = trimmed(environment.get(ADMIN_GROUPS));
    if (adminGroups != null) {
      ObjectNode admin =
          tree.get("admin") instanceof ObjectNode existing ? existing : tree.putObject("admin");
      com.fasterxml.jackson.databind.node.ArrayNode groups = admin.putArray("groups");
      for (String group : adminGroups.split(",")) {
        if (!group.isBlank()) {
          groups.add(group.trim());
        }
      }
      sources.put("admin.groups", "environment variable " + ADMIN_GROUPS);
    }
    String apiKey = environment.get(API_KEY_VARIABLE);
    if (apiKey != null && !apiKey.isBlank()) {
      set(tree, "upstream.api_key", "env:" + API_KEY_VARIABLE);
      sources.put("upstream.api_key", "environment variable " + API_KEY_VARIABLE);
    }
    for (Map.Entry<String, String> flag : flags.entrySet()) {
      if (flag.getValue() != null) {
        set(tree, flag.getKey(), flag.getValue());
        sources.put(flag.getKey(), "flag --" + flag.getKey().replace('_', '-').replace('.', '-'));
      }
    }
    try {
      return YAML.treeToValue(tree, GatewayConfig.class);
    } catch (JsonProcessingException e) {
      String key = dottedPath(e);
      String source =
          sources.entrySet().stream()
              .filter(entry -> key.equals(entry.getKey()) || key.startsWith(entry.getKey() + "."))
              .map(Map.Entry::getValue)
              .findFirst()
              .orElse(file.map(f -> "config file " + f).orElse("config"));
      throw new ConfigException(source + " (" + key + "): " + problem(e), e);
    }
  }

  private static void addEnvironmentIssuer(
      ObjectNode tree, Map<String, String> environment, Map<String, String> sources) {
    String issuer = trimmed(environment.get(OIDC_ISSUER));
    String audience = trimmed(environment.get(OIDC_AUDIENCE));
    String jwksUri = trimmed(environment.get(OIDC_JWKS_URI));
    if (issuer == null) {
      if (audience != null || jwksUri != null) {
        throw new ConfigException(
            (audience != null ? OIDC_AUDIENCE : OIDC_JWKS_URI)
                + " is set but "
                + OIDC_ISSUER
                + " is not (expected the issuer they belong to)");
      }
      return;
    }
    JsonNode identityNode = tree.get("identity");
    ObjectNode identity =
        identityNode instanceof ObjectNode object ? object : tree.putObject("identity");
    JsonNode issuersNode = identity.get("issuers");
    com.fasterxml.jackson.databind.node.ArrayNode issuers =
        issuersNode instanceof com.fasterxml.jackson.databind.node.ArrayNode array
            ? array
            : identity.putArray("issuers");
    ObjectNode entry = null;
    for (JsonNode candidate : issuers) {
      if (candidate instanceof ObjectNode object && issuer.equals(object.path("issuer").asText())) {
        entry = object;
      }
    }
    if (entry == null) {
      entry = issuers.addObject();
    }
    entry.put("issuer", issuer);
    if (audience != null) {
      entry.put("audience", audience);
    }
    if (jwksUri != null) {
      entry.put("jwks_uri", jwksUri);
    }
    sources.put(
        "identity.issuers",
        "environment variables " + OIDC_ISSUER + "/" + OIDC_AUDIENCE + "/" + OIDC_JWKS_URI);
  }

  private static String trimmed(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }

  /** Reads and checks the file alone, so that errors carry its line numbers. */
  static ObjectNode readFile(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + ": not found", e);
    } catch (IOException e) {
      throw new ConfigException("config file " + file + ": cannot read: " + e.getMessage(), e);
    }
    try {
      JsonNode node = YAML.readTree(text);
      if (node == null || node.isMissingNode() || node.isNull()) {
        return JsonNodeFactory.instance.objectNode();
      }
      if (!node.isObject()) {
        throw new ConfigException(
            "config file "
                + file
                + ", line 1: expected a mapping of settings, found "
                + kind(node));
      }
      YAML.readValue(text, GatewayConfig.class);
      return (ObjectNode) node;
    } catch (JsonProcessingException e) {
      String key = dottedPath(e);
      String where =
          YamlLocator.locate(text, pathOf(e))
              .map(p -> ", line " + p.line() + ", column " + p.column())
              .orElseGet(
                  () -> {
                    JsonLocation at = e.getLocation();
                    return at == null || at.getLineNr() < 1
                        ? ""
                        : ", line " + at.getLineNr() + ", column " + at.getColumnNr();
                  });
      throw new ConfigException(
          "config file "
              + file
              + where
              + (key.isEmpty() ? "" : " (" + key + ")")
              + ": "
              + problem(e),
          e);
    }
  }

  private static String problem(JsonProcessingException e) {
    if (e instanceof UnrecognizedPropertyException unknown) {
      Collection<Object> known = unknown.getKnownPropertyIds();
      return "unknown key '"
          + unknown.getPropertyName()
          + "' (expected one of: "
          + known.stream().map(String::valueOf).sorted().collect(Collectors.joining(", "))
          + ")";
    }
    Throwable refusal = refusal(e);
    if (refusal != null) {
      Matcher field = FIELD_PREFIX.matcher(refusal.getMessage());
      // "url: 'ftp://x' (...)": the key is already in the path; keep the explanation.
      return isConfigRecordCheck(e) && field.lookingAt()
          ? refusal.getMessage().substring(field.end())
          : refusal.getMessage();
    }
    return e.getOriginalMessage();
  }

  /**
   * The outermost {@link IllegalArgumentException} under {@code e}: the value type's own
   * explanation, not a wrapped {@code NumberFormatException} deeper down.
   */
  private static Throwable refusal(JsonProcessingException e) {
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if ((t instanceof IllegalArgumentException || t instanceof ArithmeticException)
          && t.getMessage() != null) {
        return t;
      }
    }
    return null;
  }

  /**
   * Checks made in a config record's constructor ({@code UpstreamConfig}, {@code HttpConfig}, ...)
   * fail at the record's own path; their message starts with the field's key ({@code "url: ..."}),
   * which names the setting that is actually wrong.
   */
  private static boolean isConfigRecordCheck(JsonProcessingException e) {
    return e instanceof ValueInstantiationException instantiation
        && instantiation.getType() != null
        && instantiation.getType().getRawClass().getSimpleName().endsWith("Config");
  }

  /**
   * The keys leading to what failed, as {@link YamlLocator} takes them: field names, and {@code
   * [i]} for list items.
   */
  public static List<String> jsonPath(JsonProcessingException e) {
    if (!(e instanceof JsonMappingException mapping)) {
      return List.of();
    }
    return mapping.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .toList();
  }

  private static List<String> pathOf(JsonProcessingException e) {
    List<String> path = new java.util.ArrayList<>(jsonPath(e));
    Throwable refusal = refusal(e);
    if (refusal != null && isConfigRecordCheck(e)) {
      Matcher field = FIELD_PREFIX.matcher(refusal.getMessage());
      if (field.lookingAt()) {
        path.add(field.group(1));
      }
    }
    return path;
  }

  private static String dottedPath(JsonProcessingException e) {
    return String.join(".", pathOf(e));
  }

  private static void set(ObjectNode tree, String dottedKey, String value) {
    String[] parts = dottedKey.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      if (!(child instanceof ObjectNode)) {
        child = node.putObject(parts[i]);
      }
      node = (ObjectNode) child;
    }
    node.put(parts[parts.length - 1], value);
  }

  private static String kind(JsonNode node) {
    return node.isArray() ? "a list" : "a single value";
  }

  private static Map<String, String> orderedMap(String... pairs) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], pairs[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(map);
  }

  /** The mapper that binds config records: snake_case keys, unknown keys refused. */
  public static ObjectMapper newMapper() {
    SimpleModule module = new SimpleModule("jitgw-config");
    module.addDeserializer(Duration.class, new DurationDeserializer());
    module.addDeserializer(Path.class, new PathDeserializer());
    return new ObjectMapper(new YAMLFactory())
        .registerModule(module)
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
  }

  private static final class DurationDeserializer extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      String text = p.getValueAsString();
      if (text == null) {
        return (Duration) ctx.handleUnexpectedToken(Duration.class, p);
      }
      try {
        return Durations.parse(text);
      } catch (IllegalArgumentException e) {
        throw JsonMappingException.from(p, e.getMessage(), e);
      }
    }
  }

  private static final class PathDeserializer extends JsonDeserializer<Path> {
    @Override
    public Path deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      String text = p.getValueAsString();
      if (text == null || text.isBlank()) {
        throw JsonMappingException.from(p, "expected a file or directory path");
      }
      return Path.of(text.trim()).normalize();
    }
  }
}
