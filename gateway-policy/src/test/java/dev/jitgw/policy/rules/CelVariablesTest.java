package dev.jitgw.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CelVariablesTest {
  private static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");
  private static final Identity ALICE =
      PolicyTest.identity("alice", List.of("eng"), Map.of("repository", "acme/app", "run", 2));
  private static final RequestSummary REQUEST =
      PolicyTest.request(
          "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,"
              + "\"tools\":[{\"name\":\"bash\",\"type\":\"bash_20250124\"}]}");

  @Test
  void theVariablesAreTheDocumentedConversions() {
    CelVariables variables = CelVariables.of(ALICE, REQUEST, NOW);
    assertThat(variables.find("identity")).contains(CelValues.identity(ALICE));
    assertThat(variables.find("request")).contains(REQUEST.toCelValue());
    // Scalars reach the runtime wrapped, and it reads them unwrapped (see Scalar).
    assertThat(variables.find("now").orElseThrow())
        .isInstanceOfSatisfying(
            CelVariables.Scalar.class, now -> assertThat(now.value()).isEqualTo(NOW));
    assertThat(variables.find("request.model").orElseThrow())
        .isInstanceOfSatisfying(
            CelVariables.Scalar.class,
            model -> assertThat(model.value()).isEqualTo("claude-sonnet-4-5"));
    assertThat(variables.find("request.tools")).contains(REQUEST.toCelValue().get("tools"));
    assertThat(variables.find("requests")).isEmpty();
    assertThat(variables.find("t")).isEmpty();
  }

  @Test
  void eachFieldVariableIsItsFieldOfTheWholeVariable() {
    for (boolean wholeFirst : new boolean[] {false, true}) {
      CelVariables variables = CelVariables.of(ALICE, REQUEST, NOW);
      if (wholeFirst) {
        variables.find("request");
        variables.find("identity");
      }
      for (String field : CelVariables.REQUEST_FIELDS) {
        assertThat(unwrapped(variables.find("request." + field).orElseThrow()))
            .as("request.%s", field)
            .isEqualTo(REQUEST.toCelValue().get(field));
      }
      for (String field : CelVariables.IDENTITY_FIELDS) {
        assertThat(unwrapped(variables.find("identity." + field).orElseThrow()))
            .as("identity.%s", field)
            .isEqualTo(CelValues.identity(ALICE).get(field));
      }
    }
  }

  @Test
  void aConditionThatIsAScalarVariableEvaluatesToThePlainValue() {
    // What `policy test` prints for each part of a condition: never the wrapper.
    assertThat(
            RuleExplainer.explain(
                "request.model && identity.sub && request.max_tokens && request.stream",
                ALICE,
                REQUEST,
                NOW))
        .extracting(RuleExplainer.Part::value)
        .containsExactly("claude-sonnet-4-5", "alice", "10", "false");
  }

  private static Object unwrapped(Object value) {
    return value instanceof CelVariables.Scalar scalar ? scalar.value() : value;
  }

  @Test
  void eachVariableIsConvertedOncePerDecision() {
    CelVariables variables = CelVariables.of(ALICE, REQUEST, NOW);
    assertThat(variables.find("request").orElseThrow())
        .isSameAs(variables.find("request").orElseThrow());
    assertThat(variables.find("identity").orElseThrow())
        .isSameAs(variables.find("identity").orElseThrow());
    // A new decision converts again: nothing leaks from one request into the next.
    assertThat(CelVariables.of(ALICE, REQUEST, NOW).find("request").orElseThrow())
        .isNotSameAs(variables.find("request").orElseThrow());
  }

  @Test
  void withoutARequestTheRequestIsEmpty() {
    CelVariables variables = CelVariables.withoutRequest(ALICE, NOW);
    assertThat(variables.find("request")).contains(Map.of());
    assertThat(variables.find("identity")).contains(CelValues.identity(ALICE));
  }

  @Test
  void rulesAfterAFalseOneSeeTheSameVariables() {
    // Every rule of one decision shares the variables; a later rule must read them unchanged.
    Policy policy =
        PolicyLoader.compile(
            "test",
            """
            version: 1
            rules:
              - name: not-opus
                when: request.model.startsWith("claude-opus")
                deny: no
              - name: tools
                when: request.tools.exists(t, t.name == "python")
                deny: no
              - name: sonnet-for-eng
                when: >-
                  request.model == "claude-sonnet-4-5" && "eng" in identity.groups
                  && identity.claims.run == 2 && identity.expires_at > now
                allow: {}
            """);
    Policy.Evaluation evaluation = policy.evaluate(ALICE, REQUEST, NOW);
    assertThat(evaluation.decision().rule()).contains("sonnet-for-eng");
    assertThat(evaluation.trace())
        .extracting(Policy.RuleTrace::outcome)
        .containsExactly(
            Policy.Outcome.NOT_MATCHED, Policy.Outcome.NOT_MATCHED, Policy.Outcome.MATCHED);
  }
}
