package dev.jitgw.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.PriceTable;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.exchange.RequestSummaryParser;
import dev.jitgw.core.identity.Identity;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyTest {
  private static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");
  private static final RequestSummaryParser PARSER =
      new RequestSummaryParser(PriceTable.defaults());

  static Identity identity(String sub, List<String> groups, Map<String, Object> claims) {
    return new Identity(
        sub,
        "https://idp.example",
        groups,
        Optional.ofNullable((String) claims.get("purpose")),
        claims,
        NOW.plus(Duration.ofMinutes(5)),
        Optional.empty());
  }

  static RequestSummary request(String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    return PARSER.parse(
        "POST",
        "/v1/messages",
        List.of(Map.entry("content-type", "application/json"), Map.entry("anthropic-beta", "x")),
        new ByteArrayInputStream(body),
        body.length);
  }

  private static Decision decide(String rules, Identity identity, String body) {
    return PolicyLoader.compile("test", "version: 1\nrules:\n" + rules)
        .evaluate(identity, request(body), NOW)
        .decision();
  }

  private static final Identity ALICE = identity("alice", List.of("eng"), Map.of());

  @Test
  void firstMatchingRuleDecides() {
    String rules =
        """
          - name: deny-opus
            when: request.model.startsWith("claude-opus")
            deny: no opus
          - name: everyone
            when: "true"
            allow: {}
        """;
    Decision opus = decide(rules, ALICE, "{\"model\":\"claude-opus-4-1\",\"max_tokens\":10}");
    assertThat(opus).isInstanceOf(Decision.Deny.class);
    assertThat(opus.rule()).contains("deny-opus");
    Decision sonnet = decide(rules, ALICE, "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10}");
    assertThat(sonnet).isInstanceOf(Decision.Allow.class);
    assertThat(sonnet.rule()).contains("everyone");
  }

  @Test
  void noMatchDenies() {
    Decision decision =
        decide(
            "  - name: only-ci\n    when: '\"ci\" in identity.groups'\n    allow: {}\n",
            ALICE,
            "{}");
    assertThat(decision)
        .isInstanceOfSatisfying(
            Decision.Deny.class,
            deny -> {
              assertThat(deny.rule()).isEmpty();
              assertThat(deny.reason()).contains("no policy rule matched");
            });
  }

  @Test
  void theTraceNamesEachRuleUpToTheDecidingOne() {
    Policy policy =
        PolicyLoader.compile(
            "test",
            """
            version: 1
            rules:
              - name: opus
                when: request.model.startsWith("claude-opus")
                deny: no opus
              - name: forks
                when: identity.claims.repository != "acme/app"
                deny: forks may not call
              - name: everyone
                when: "true"
                allow: {}
            """);
    Identity ci = identity("ci", List.of(), Map.of("repository", "acme/app"));
    String sonnet = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10}";
    // Twice: the trace of one decision is not carried into the next.
    for (int i = 0; i < 2; i++) {
      assertThat(policy.evaluate(ci, request(sonnet), NOW).trace())
          .containsExactly(
              new Policy.RuleTrace(
                  "opus",
                  Policy.Outcome.NOT_MATCHED,
                  "request.model.startsWith(\"claude-opus\") is false"),
              new Policy.RuleTrace(
                  "forks",
                  Policy.Outcome.NOT_MATCHED,
                  "identity.claims.repository != \"acme/app\" is false"),
              new Policy.RuleTrace("everyone", Policy.Outcome.MATCHED, "true"));
    }
    List<Policy.RuleTrace> error = policy.evaluate(ALICE, request(sonnet), NOW).trace();
    assertThat(error).extracting(Policy.RuleTrace::rule).containsExactly("opus", "forks");
    assertThat(error.get(1).outcome()).isEqualTo(Policy.Outcome.ERROR);
    assertThat(error.get(1).detail()).startsWith("could not be evaluated: ");
  }

  @Test
  void anEvaluationErrorDeniesInsteadOfSkippingTheRule() {
    // claims.repository is absent: a deny rule that cannot be evaluated must not be skipped.
    Decision decision =
        decide(
            """
              - name: block-forks
                when: identity.claims.repository != "acme/app"
                deny: forks may not call
              - name: everyone
                when: "true"
                allow: {}
            """,
            ALICE,
            "{}");
    assertThat(decision).isInstanceOf(Decision.Deny.class);
    assertThat(decision.rule()).contains("block-forks");
    assertThat(((Decision.Deny) decision).reason()).contains("fails closed");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          identity.sub == "alice"                                         | true
          identity.iss == "https://idp.example"                           | true
          "eng" in identity.groups                                        | true
          identity.purpose == "release notes"                             | true
          identity.claims.repository == "acme/app" && identity.claims.ref == "refs/heads/main" | true
          identity.claims.run_attempt == 2                                | true
          identity.expires_at > now                                       | true
          request.method == "POST" && request.path == "/v1/messages"      | true
          request.model == "claude-sonnet-4-5"                            | true
          request.max_tokens == 2048                                      | true
          request.stream                                                  | true
          request.tools.exists(t, t.name == "bash" && t.type == "bash_20250124") | true
          request.tools.exists(t, t.name == "python")                     | false
          request.skills.exists(s, s.skill_id == "pptx" && s.type == "anthropic") | true
          request.system.contains("careful")                              | true
          request.text.contains("quarterly")                              | true
          request.text.contains("careful")                                | true
          request.headers["anthropic-beta"] == "x"                        | true
          !("authorization" in request.headers)                           | true
          request.size > 100                                              | true
          request.estimated_input_tokens > 0                              | true
          request.estimated_cost_usd > 0.03 && request.estimated_cost_usd < 0.04 | true
          """)
  void everyVariableIsAvailable(String when, boolean expected) {
    Identity github =
        identity(
            "repo:acme/app:ref:refs/heads/main",
            List.of("eng"),
            Map.of(
                "repository", "acme/app",
                "ref", "refs/heads/main",
                "run_attempt", 2,
                "purpose", "release notes"));
    github =
        new Identity(
            "alice",
            "https://idp.example",
            List.of("eng"),
            Optional.of("release notes"),
            github.claims(),
            NOW.plus(Duration.ofMinutes(5)),
            Optional.empty());
    String body =
        """
        {"model":"claude-sonnet-4-5","max_tokens":2048,"stream":true,
         "system":[{"type":"text","text":"Be careful."}],
         "tools":[{"name":"bash","type":"bash_20250124"},{"name":"get_weather","input_schema":{}}],
         "container":{"skills":[{"type":"anthropic","skill_id":"pptx","version":"latest"}]},
         "messages":[{"role":"user","content":"Summarize the quarterly report"},
                     {"role":"assistant","content":[{"type":"text","text":"assistant words"}]}]}
        """;
    Decision decision =
        decide(
            "  - name: r\n    when: '" + when.replace("'", "''") + "'\n    allow: {}\n",
            github,
            body);
    assertThat(decision instanceof Decision.Allow).as(when).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          syntax error        | '  - name: broken\\n    when: request.model ==\\n    allow: {}\\n'  | line 3
          not a boolean       | '  - name: number\\n    when: 1 + 1\\n    allow: {}\\n'            | rule 'number'
          unknown variable    | '  - name: typo\\n    when: requst.model == \"x\"\\n    allow: {}\\n' | undeclared
          two outcomes        | '  - name: both\\n    when: \"true\"\\n    allow: {}\\n    deny: x\\n' | exactly one
          no when             | '  - name: nowhen\\n    allow: {}\\n'                              | missing 'when'
          unknown key         | '  - name: k\\n    when: \"true\"\\n    alow: {}\\n'               | alow
          duplicate name      | '  - name: a\\n    when: \"true\"\\n    allow: {}\\n  - name: a\\n    when: \"true\"\\n    deny: x\\n' | used twice
          undefined profile   | '  - name: m\\n    when: \"true\"\\n    allow: {mask: [nope]}\\n'  | 'nope'
          approve no approver | '  - name: h\\n    when: \"true\"\\n    approve: {timeout: 5m}\\n' | approvers
          """)
  void badPoliciesAreRefusedWhole(String name, String rules, String expected) {
    String text = "version: 1\nrules:\n" + rules.replace("\\n", "\n");
    assertThatThrownBy(() -> PolicyLoader.compile("policy file p.yaml", text))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith("policy file p.yaml")
        .hasMessageContaining(expected);
  }

  @Test
  void compileErrorsNameTheRuleAndItsLine() {
    String text =
        "version: 1\nrules:\n  - name: ok\n    when: \"true\"\n    deny: x\n"
            + "  - name: broken\n    when: request.model.startsWith(\n    allow: {}\n";
    assertThatThrownBy(() -> PolicyLoader.compile("policy file p.yaml", text))
        .hasMessageContaining("line 6")
        .hasMessageContaining("rule 'broken'")
        .hasMessageContaining("CEL:");
  }

  @Test
  void theSamplePolicyCompiles() {
    Policy policy = PolicyLoader.load(Path.of("..", "config", "policy.yaml"));
    assertThat(policy.rules())
        .extracting(Policy.Rule::name)
        .containsExactly(
            "opus-needs-leads",
            "shell-tool-needs-approval",
            "costly-requests-need-approval",
            "everyone");
    assertThat(policy.federation())
        .extracting(Policy.FederationProfile::id)
        .containsExactly("fdrl_ci_release");
    assertThat(policy.version()).hasSize(12);
    Decision shell =
        policy
            .evaluate(
                identity("bob", List.of("ml-leads"), Map.of()),
                request(
                    "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,"
                        + "\"tools\":[{\"name\":\"bash\",\"type\":\"bash_20250124\"}]}"),
                NOW)
            .decision();
    assertThat(shell)
        .isInstanceOfSatisfying(
            Decision.Hold.class,
            hold -> {
              assertThat(hold.approvers()).containsExactly("security");
              assertThat(hold.timeout()).isEqualTo(Duration.ofMinutes(5));
              assertThat(hold.grant()).contains(Duration.ofMinutes(30));
            });
  }

  @Test
  void federationProfilesMatchByIdAndCondition() {
    Policy policy = PolicyLoader.load(Path.of("..", "config", "policy.yaml"));
    Identity main =
        identity("ci", List.of(), Map.of("repository", "acme/app", "ref", "refs/heads/main"));
    Identity branch =
        identity("ci", List.of(), Map.of("repository", "acme/app", "ref", "refs/heads/x"));
    assertThat(policy.federationFor("fdrl_ci_release", main, NOW)).isPresent();
    assertThat(policy.federationFor("fdrl_ci_release", branch, NOW)).isEmpty();
    assertThat(policy.federationFor("fdrl_other", main, NOW)).isEmpty();
  }
}
