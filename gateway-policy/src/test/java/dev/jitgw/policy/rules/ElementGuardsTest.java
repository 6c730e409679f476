package dev.jitgw.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rules passed over by an element guard decide exactly as when evaluated whole. */
class ElementGuardsTest {
  private static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "request.tools.exists(t, t.name == \"bash\") | tools.exists(name == \"bash\")",
        "request.tools.exists(t, \"bash\" == t.name) | tools.exists(name == \"bash\")",
        "request.tools.exists(x, x.type == \"web_search_20250305\")"
            + " | tools.exists(type == \"web_search_20250305\")",
        "'request.skills.exists(s, s.skill_id == \"pdf\") && request.stream'"
            + " | skills.exists(skill_id == \"pdf\")",
        "request.skills.exists(s, s.version == \"latest\") | skills.exists(version == \"latest\")",
        "'request.model == \"m\" && (request.tools.exists(t, t.name == \"a\")"
            + " && request.tools.exists(t, t.name == \"b\"))'"
            + " | tools.exists(name == \"a\");tools.exists(name == \"b\")",
        "request.tools.exists(t, t.name != \"bash\") | tools.exists(name != \"bash\")",
        "request.tools.exists(t, t.name.startsWith(\"bash\")) | tools.exists(name.startsWith(\"bash\"))",
        "request.tools.exists(t, t.type.endsWith(\"_2025\")) | tools.exists(type.endsWith(\"_2025\"))",
        "request.skills.exists(s, s.skill_id.contains(\"x\")) | skills.exists(skill_id.contains(\"x\"))",
        "'request.tools.exists(t, t.name == \"a\" || t.type.startsWith(\"b\"))'"
            + " | 'tools.exists((name == \"a\" || type.startsWith(\"b\")))'",
        "'request.tools.exists(t, t.name == \"a\" && !(t.type == \"custom\"))'"
            + " | tools.exists((name == \"a\" && !(type == \"custom\")))",
        "'request.tools.exists(t, t.name in [\"a\", \"b\"])' | tools.exists(name in [\"a\", \"b\"])",
        "'!request.tools.exists(t, t.name == \"a\")' | !tools.exists(name == \"a\")",
        // Not guards: other macros, other lists, non-literals, other functions, a disjunction.
        "request.tools.all(t, t.name == \"bash\") | ''",
        "request.tools.exists_one(t, t.name == \"bash\") | ''",
        "request.tools.exists(t, t.name == identity.sub) | ''",
        "request.tools.exists(t, t.name.startsWith(identity.sub)) | ''",
        "request.tools.exists(t, t.name.matches(\"^b\")) | ''",
        "request.tools.exists(t, t.name.size() > 3) | ''",
        "request.tools.exists(t, t.description == \"x\") | ''",
        "'request.tools.exists(t, t.name in [\"a\", identity.sub])' | ''",
        "'request.tools.exists(t, t.name == \"a\" || request.stream)' | ''",
        "'request.tools.exists(t, t.name == \"a\") || request.stream' | ''",
        // CEL's parser drops an even number of negations.
        "'!!request.tools.exists(t, t.name == \"a\")' | tools.exists(name == \"a\")",
        "identity.groups.exists(g, g == \"eng\") | ''",
        "[{\"name\": \"a\"}].exists(t, t.name == \"a\") | ''",
      })
  void guardsAreExistsConjunctsOverTheElementsFieldsAndLiterals(String when, String expected) {
    Policy policy = IdentityGuardsTest.oneRule(when);

    List<String> guards =
        policy.rules().get(0).elementGuards().stream().map(Object::toString).toList();
    assertThat(guards).isEqualTo(expected.isEmpty() ? List.of() : List.of(expected.split(";")));
  }

  @Test
  void decisionsAndTracesMatchEvaluatingEveryRuleWhole() {
    String text =
        """
        version: 1
        rules:
          - name: shell
            when: request.tools.exists(t, t.name == "bash") && !("ops" in identity.groups)
            deny: no shell
          - name: search-and-fetch
            when: >-
              request.tools.exists(t, t.type == "web_search_20250305")
              && request.tools.exists(t, "web_fetch" == t.name) && request.max_tokens > 1000
            approve: {approvers: [security]}
          - name: pdf-skill
            when: request.skills.exists(s, s.skill_id == "pdf") && request.skills.size() > 1
            deny: one skill with pdf
          - name: pinned
            when: request.skills.exists(s, s.version == "latest")
            deny: pin skill versions
          - name: error-after-guard
            when: request.tools.exists(t, t.name == "editor") && identity.claims.missing == "x"
            allow: {}
          - name: editor-without-custom-skills
            when: >-
              request.tools.exists(t, t.type.startsWith("text_editor"))
              && !request.skills.exists(s, s.type == "custom")
            deny: no editor
          - name: shell-or-fetch
            when: >-
              request.tools.exists(t, t.name == "bash" || t.type.startsWith("web_fetch"))
              && request.max_tokens > 1500
            approve: {approvers: [security]}
          - name: listed-not-dated
            when: request.tools.exists(t, t.name in ["editor", "web_search"] && !t.type.endsWith("0728"))
            deny: listed
          - name: custom-then-error
            when: >-
              request.skills.exists(s, s.skill_id.contains("_0") && s.type != "anthropic")
              && identity.claims.missing == "x"
            allow: {}
          - name: everyone
            when: "true"
            allow: {}
        """;
    Policy guarded = PolicyLoader.compile("test", text);
    Policy unguarded = IdentityGuardsTest.evaluatedWhole(guarded);
    assertThat(guarded.rules().stream().mapToInt(r -> r.elementGuards().size()).sum())
        .isEqualTo(11);

    String[] tools = {
      "{\"name\":\"bash\",\"type\":\"bash_20250124\"}",
      "{\"name\":\"web_search\",\"type\":\"web_search_20250305\"}",
      "{\"name\":\"web_fetch\",\"type\":\"web_fetch_20250910\"}",
      "{\"name\":\"editor\",\"type\":\"text_editor_20250728\"}",
      "{\"type\":\"custom\"}",
    };
    String[] skills = {
      "{\"type\":\"anthropic\",\"skill_id\":\"pdf\",\"version\":\"latest\"}",
      "{\"type\":\"custom\",\"skill_id\":\"skill_01\",\"version\":\"3\"}",
    };
    List<Identity> identities =
        List.of(
            PolicyTest.identity("alice", List.of("eng"), Map.of()),
            PolicyTest.identity("bob", List.of("ops"), Map.of("missing", "x")));
    int passedOver = 0;
    int errors = 0;
    for (int toolSet = 0; toolSet < 1 << tools.length; toolSet++) {
      for (int skillSet = 0; skillSet < 1 << skills.length; skillSet++) {
        List<String> offered = new ArrayList<>();
        for (int t = 0; t < tools.length; t++) {
          if ((toolSet & (1 << t)) != 0) {
            offered.add(tools[t]);
          }
        }
        List<String> containerSkills = new ArrayList<>();
        for (int s = 0; s < skills.length; s++) {
          if ((skillSet & (1 << s)) != 0) {
            containerSkills.add(skills[s]);
          }
        }
        RequestSummary request =
            PolicyTest.request(
                "{\"model\":\"claude-sonnet-4\",\"max_tokens\":2000,\"tools\":["
                    + String.join(",", offered)
                    + "],\"container\":{\"skills\":["
                    + String.join(",", containerSkills)
                    + "]}}");
        for (Identity identity : identities) {
          Policy.Evaluation expected = unguarded.evaluate(identity, request, NOW);
          Policy.Evaluation actual = guarded.evaluate(identity, request, NOW);

          assertThat(actual.decision()).isEqualTo(expected.decision());
          assertThat(actual.trace()).isEqualTo(expected.trace());
          passedOver += actual.trace().size();
          errors +=
              actual.trace().stream().anyMatch(r -> r.outcome() == Policy.Outcome.ERROR) ? 1 : 0;
        }
      }
    }
    assertThat(passedOver).isPositive();
    assertThat(errors).as("requests where a rule after its guard erred").isPositive();
  }
}
