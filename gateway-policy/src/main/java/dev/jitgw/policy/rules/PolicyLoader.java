package dev.jitgw.policy.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.jitgw.core.config.ConfigLoader;
import dev.jitgw.core.config.YamlLocator;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.policy.masking.MaskingPolicy;
import dev.jitgw.policy.masking.MaskingPolicyException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads, checks and compiles a policy file as a whole. Every {@code when} is parsed and
 * type-checked by the CEL compiler against the variables {@code identity}, {@code request} and
 * {@code now}, and must be a boolean; any mistake refuses the whole file with its line, rule and
 * the compiler's message.
 */
public final class PolicyLoader {
  private static final ObjectMapper YAML = ConfigLoader.newMapper();

  /** {@code request.max_tokens > 1.5} compares an int with a double, as operators expect. */
  private static final CelOptions OPTIONS =
      CelOptions.current().enableHeterogeneousNumericComparisons(true).build();

  static final Duration DEFAULT_APPROVAL_TIMEOUT = Duration.ofMinutes(5);
  static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofMinutes(10);

  private static final CelCompiler COMPILER =
      CelCompilerFactory.standardCelCompilerBuilder()
          .addVar("identity", MapType.create(SimpleType.STRING, SimpleType.DYN))
          .addVar("request", MapType.create(SimpleType.STRING, SimpleType.DYN))
          .addVar("now", SimpleType.TIMESTAMP)
          .setResultType(SimpleType.BOOL)
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .setOptions(OPTIONS)
          .build();

  /** The same, plus each documented field as a variable of its own (see {@link CelVariables}). */
  private static final CelCompiler FIELD_COMPILER = fieldCompiler();

  /**
   * CEL's program planner rather than its legacy interpreter (which the standard builder still
   * returns): each condition is planned into evaluation steps once, with identifiers, overloads and
   * constants resolved ahead; a 50-rule decision took 25-40% less time (docs/benchmarks.md).
   */
  private static final CelRuntime RUNTIME =
      CelRuntimeFactory.plannerRuntimeBuilder().setOptions(OPTIONS).build();

  private PolicyLoader() {}

  private static CelCompiler fieldCompiler() {
    CelCompilerBuilder builder = COMPILER.toCompilerBuilder();
    for (String name : CelVariables.fieldVariableNames()) {
      builder.addVar(name, SimpleType.DYN);
    }
    return builder.build();
  }

  /** The compiler that knows only {@code identity}, {@code request} and {@code now}. */
  static CelCompiler compiler() {
    return COMPILER;
  }

  /**
   * Parses and type-checks one condition, with the field variables where it can. The checker
   * refuses {@code has(request.model)} once {@code request.model} is a variable ("expression does
   * not select a field"), so a condition the field compiler refuses is checked again as written,
   * against the maps alone: whatever compiled without field variables still compiles, and a mistake
   * is reported with the same message as before.
   */
  static CelValidationResult check(String expression) {
    CelValidationResult result = FIELD_COMPILER.compile(expression);
    return result.hasError() ? COMPILER.compile(expression) : result;
  }

  static CelRuntime runtime() {
    return RUNTIME;
  }

  /** The built-in policy when none is configured: every authenticated caller is allowed. */
  public static Policy builtIn() {
    return compile(
        "built-in",
        "version: 1\nrules:\n  - name: authenticated\n    when: \"true\"\n    allow: {mask: [secrets]}\n");
  }

  public static Policy load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new PolicyException("policy file " + file + ": not found", e);
    } catch (IOException e) {
      throw new PolicyException("policy file " + file + ": cannot read: " + e.getMessage(), e);
    }
    return compile("policy file " + file, text);
  }

  /** Compiles policy text; {@code source} names it in error messages. */
  public static Policy compile(String source, String text) {
    PolicyDocument document;
    try {
      JsonNode tree = YAML.readTree(text);
      if (tree == null || !tree.isObject()) {
        throw new PolicyException(source + ", line 1: expected a mapping with version and rules");
      }
      document = YAML.treeToValue(tree, PolicyDocument.class);
    } catch (JsonProcessingException e) {
      throw new PolicyException(source + where(text, e) + ": " + e.getOriginalMessage(), e);
    }
    if (document.version() == null || document.version() != 1) {
      throw new PolicyException(
          source
              + at(text, List.of("version"))
              + ": version: expected 1, found "
              + document.version());
    }
    MaskingPolicy masking;
    try {
      masking = MaskingPolicy.compile(document.masking());
    } catch (MaskingPolicyException e) {
      throw new PolicyException(source + at(text, e.path()) + ": " + e.getMessage(), e);
    }
    Set<String> profiles = masking.profileNames();
    List<Policy.Rule> rules = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<PolicyDocument.RuleSpec> specs = document.rules() == null ? List.of() : document.rules();
    for (int i = 0; i < specs.size(); i++) {
      PolicyDocument.RuleSpec spec = specs.get(i);
      int line = line(text, List.of("rules", "[" + i + "]"));
      String where = source + ", line " + line;
      if (spec.name() == null || spec.name().isBlank()) {
        throw new PolicyException(where + ": rule #" + (i + 1) + " has no name");
      }
      String rule = where + ", rule '" + spec.name() + "'";
      if (!names.add(spec.name())) {
        throw new PolicyException(rule + ": the name is used twice (expected unique names)");
      }
      int outcomes =
          (spec.deny() != null ? 1 : 0)
              + (spec.approve() != null ? 1 : 0)
              + (spec.allow() != null ? 1 : 0);
      if (outcomes != 1) {
        throw new PolicyException(rule + ": expected exactly one of deny, approve or allow");
      }
      CelAbstractSyntaxTree ast = checkCondition(rule, spec.when());
      rules.add(
          new Policy.Rule(
              spec.name(),
              spec.when(),
              line,
              program(rule, ast),
              IdentityGuards.of(ast, RUNTIME),
              ElementGuards.of(ast),
              outcome(rule, spec, profiles)));
    }
    List<Policy.FederationProfile> federation = new ArrayList<>();
    List<PolicyDocument.FederationSpec> fedSpecs =
        document.federation() == null ? List.of() : document.federation();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < fedSpecs.size(); i++) {
      PolicyDocument.FederationSpec spec = fedSpecs.get(i);
      int line = line(text, List.of("federation", "[" + i + "]"));
      String where = source + ", line " + line + ", federation profile '" + spec.id() + "'";
      if (spec.id() == null || spec.id().isBlank()) {
        throw new PolicyException(source + ", line " + line + ": federation profile has no id");
      }
      if (!ids.add(spec.id())) {
        throw new PolicyException(where + ": the id is used twice");
      }
      Duration lifetime =
          spec.tokenLifetime() == null ? DEFAULT_TOKEN_LIFETIME : spec.tokenLifetime();
      if (lifetime.isNegative()
          || lifetime.isZero()
          || lifetime.compareTo(Duration.ofHours(1)) > 0) {
        throw new PolicyException(where + ": token_lifetime " + lifetime + " (expected: up to 1h)");
      }
      federation.add(
          new Policy.FederationProfile(
              spec.id(),
              spec.when(),
              line,
              program(where, checkCondition(where, spec.when())),
              lifetime,
              spec.groups() == null ? List.of() : spec.groups()));
    }
    return new Policy(source, version(text), rules, federation, masking);
  }

  private static CelAbstractSyntaxTree checkCondition(String where, String when) {
    if (when == null || when.isBlank()) {
      throw new PolicyException(
          where + ": missing 'when' (a CEL expression; \"true\" matches all)");
    }
    CelValidationResult result = check(when);
    if (result.hasError()) {
      throw new PolicyException(where + ": CEL: " + result.getIssueString().strip());
    }
    try {
      return result.getAst();
    } catch (CelValidationException e) {
      throw new PolicyException(where + ": CEL: " + e.getMessage(), e);
    }
  }

  private static CelRuntime.Program program(String where, CelAbstractSyntaxTree ast) {
    try {
      return RUNTIME.createProgram(ast);
    } catch (CelEvaluationException e) {
      throw new PolicyException(where + ": CEL: " + e.getMessage(), e);
    }
  }

  private static Decision outcome(String rule, PolicyDocument.RuleSpec spec, Set<String> profiles) {
    if (spec.deny() != null) {
      return new Decision.Deny(Optional.of(spec.name()), spec.deny());
    }
    if (spec.approve() != null) {
      PolicyDocument.ApproveSpec approve = spec.approve();
      if (approve.approvers() == null || approve.approvers().isEmpty()) {
        throw new PolicyException(rule + ": approve needs approvers (groups whose members decide)");
      }
      int min = approve.minApprovals() == null ? 1 : approve.minApprovals();
      if (min < 1) {
        throw new PolicyException(rule + ": min_approvals " + min + " (expected: >= 1)");
      }
      return new Decision.Hold(
          spec.name(),
          approve.approvers(),
          approve.timeout() == null ? DEFAULT_APPROVAL_TIMEOUT : approve.timeout(),
          Optional.ofNullable(approve.grant()),
          min);
    }
    PolicyDocument.AllowSpec allow = spec.allow();
    List<String> mask = allow.mask() == null ? List.of() : allow.mask();
    for (String profile : mask) {
      if (!profiles.contains(profile)) {
        throw new PolicyException(
            rule
                + ": masking profile '"
                + profile
                + "' is not defined (expected one of "
                + new TreeSet<>(profiles)
                + ")");
      }
    }
    Optional<Decision.Limits> limits =
        Optional.ofNullable(allow.limits())
            .map(
                l ->
                    new Decision.Limits(
                        Optional.ofNullable(l.requestsPerMinute()),
                        Optional.ofNullable(l.tokensPerMinute()),
                        Optional.ofNullable(l.tokensPerDay()),
                        Optional.ofNullable(l.costPerDayUsd()),
                        l.perGroup() != null && l.perGroup()));
    return new Decision.Allow(spec.name(), mask, limits, Optional.ofNullable(allow.route()));
  }

  private static String version(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int line(String text, List<String> path) {
    return YamlLocator.locate(text, path).map(YamlLocator.Position::line).orElse(0);
  }

  private static String at(String text, List<String> path) {
    return YamlLocator.locate(text, path).map(p -> ", line " + p.line()).orElse("");
  }

  private static String where(String text, JsonProcessingException e) {
    List<String> path = ConfigLoader.jsonPath(e);
    if (!path.isEmpty()) {
      String located = at(text, path);
      if (!located.isEmpty()) {
        return located + " (" + String.join(".", path) + ")";
      }
    }
    return e.getLocation() == null ? "" : ", line " + e.getLocation().getLineNr();
  }
}
