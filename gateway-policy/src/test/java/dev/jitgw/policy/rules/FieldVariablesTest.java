package dev.jitgw.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelReference;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The field variables ({@code request.model} as one variable, see {@link CelVariables}) change how
 * a condition is evaluated, never what it evaluates to: each condition here is evaluated both ways,
 * against the maps alone as before and with field variables, and must give the same value or fail
 * with the same message.
 */
class FieldVariablesTest {
  private static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");
  private static final Identity GITHUB =
      new Identity(
          "repo:acme/app:ref:refs/heads/main",
          "https://token.actions.githubusercontent.com",
          List.of("eng", "ci"),
          Optional.of("release notes"),
          Map.of("repository", "acme/app", "ref", "refs/heads/main", "run_attempt", 2),
          NOW.plus(Duration.ofMinutes(5)),
          Optional.empty());
  private static final RequestSummary REQUEST =
      PolicyTest.request(
          """
          {"model":"claude-sonnet-4-5","max_tokens":2048,"stream":true,
           "system":[{"type":"text","text":"Be careful."}],
           "tools":[{"name":"bash","type":"bash_20250124"},{"name":"get_weather"}],
           "container":{"skills":[{"type":"anthropic","skill_id":"pptx","version":"latest"}]},
           "messages":[{"role":"user","content":"Summarize the quarterly report"}]}
          """);

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        // Every documented field, read as a field variable.
        "identity.sub == \"repo:acme/app:ref:refs/heads/main\"",
        "identity.iss.startsWith(\"https://token.actions\")",
        "\"ci\" in identity.groups && identity.groups.size() == 2",
        "identity.purpose == \"release notes\"",
        "identity.claims.repository == \"acme/app\" && identity.claims.ref.endsWith(\"/main\")",
        "identity.claims.run_attempt == 2 && identity.claims.run_attempt == 2.0",
        "identity.expires_at > now && identity.expires_at - now == duration(\"5m\")",
        "request.method == \"POST\" && request.path == \"/v1/messages\"",
        "request.headers[\"anthropic-beta\"] == \"x\" && !(\"authorization\" in request.headers)",
        "request.model.startsWith(\"claude-sonnet\")",
        "request.max_tokens > 1.5 && request.max_tokens == 2048.0 && request.max_tokens < 4096u",
        "request.stream",
        "request.tools.exists(t, t.name == \"bash\" && t.type == \"bash_20250124\")",
        "request.tools.all(t, t.name != \"python\")",
        "request.skills.exists(s, s.skill_id == \"pptx\" && s.version == \"latest\")",
        "request.system.contains(\"careful\") && request.text.contains(\"quarterly\")",
        "request.size > 100 && request.estimated_input_tokens > 0",
        "request.estimated_cost_usd > 0 && request.estimated_cost_usd < 1",
        "type(request.max_tokens) == int && type(request.model) == string",
        // The whole maps are still variables.
        "request[\"model\"] == request.model && \"model\" in request",
        "size(identity) == 6 && size(request) == 13",
        "request.exists(k, k == \"estimated_cost_usd\")",
        // has() on a field variable is checked as written (see PolicyLoader.check).
        "has(request.model) && has(identity.claims)",
        "has(identity.claims.repository) && !has(identity.claims.environment)",
        // A comprehension variable shadows the global of the same name.
        "request.tools.exists(request, request.name == \"bash\")",
        "[{\"model\": \"m\"}].all(request, request.model == \"m\")",
        // Errors: the same failure, with the same message.
        "identity.claims.environment == \"prod\"",
        "request.headers[\"authorization\"] == \"x\"",
        "request.temperature > 0.5",
        "request.model > 1",
        "request.tools[5].name == \"bash\"",
      })
  void fieldVariablesEvaluateAsTheMapsDid(String condition) throws Exception {
    assertThat(evaluate(condition, PolicyLoader.check(condition).getAst(), true))
        .isEqualTo(evaluate(condition, PolicyLoader.compiler().compile(condition).getAst(), false));
  }

  /** The value, or the error message; {@code fields}: with the field variables or maps alone. */
  private static Object evaluate(String condition, CelAbstractSyntaxTree ast, boolean fields) {
    try {
      var program = PolicyLoader.runtime().createProgram(ast);
      return fields
          ? program.eval(CelVariables.of(GITHUB, REQUEST, NOW))
          : program.eval(
              Map.of(
                  "identity", CelValues.identity(GITHUB),
                  "request", REQUEST.toCelValue(),
                  "now", NOW));
    } catch (Exception e) {
      return "error: " + e.getMessage();
    }
  }

  @Test
  void aFieldIsReadAsOneVariable() throws Exception {
    CelAbstractSyntaxTree ast = PolicyLoader.check("request.model == \"x\"").getAst();
    assertThat(ast.getReferenceMap().values())
        .extracting(CelReference::name)
        .contains("request.model")
        .doesNotContain("request");
  }

  @Test
  void theFieldVariablesAreTheDocumentedFields() {
    assertThat(CelVariables.IDENTITY_FIELDS)
        .containsExactlyElementsOf(CelValues.identity(GITHUB).keySet());
    assertThat(CelVariables.REQUEST_FIELDS)
        .containsExactlyElementsOf(REQUEST.toCelValue().keySet());
  }

  @Test
  void aConditionWithHasStillDecides() {
    Decision decision =
        PolicyLoader.compile(
                "test",
                """
                version: 1
                rules:
                  - name: needs-repository
                    when: '!has(identity.claims.repository) || !has(request.model)'
                    deny: no repository claim
                  - name: everyone
                    when: "true"
                    allow: {}
                """)
            .evaluate(GITHUB, REQUEST, NOW)
            .decision();
    assertThat(decision.rule()).contains("everyone");
  }

  @Test
  void theExplainerSeesTheFieldVariables() {
    List<RuleExplainer.Part> parts =
        RuleExplainer.explain(
            "request.model == \"claude-sonnet-4-5\" && has(request.model)"
                + " && identity.claims.environment == \"prod\"",
            GITHUB,
            REQUEST,
            NOW);
    assertThat(parts).extracting(RuleExplainer.Part::value).startsWith("true", "true");
    assertThat(parts.get(2).value()).contains("'environment' is not present");
  }
}
