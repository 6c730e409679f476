package dev.jitgw.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rules passed over by a false identity guard decide exactly as when evaluated whole. */
class IdentityGuardsTest {
  private static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'\"eng\" in identity.groups && request.max_tokens > 10' | 1",
        "identity.sub == \"a\" | 1",
        "request.model == \"m\" | 0",
        "identity.expires_at > now | 0",
        "'identity.groups.exists(g, g == \"eng\") && identity.purpose == \"p\" && request.stream'"
            + " | 2",
        "'\"eng\" in identity.groups || request.stream' | 0",
        "request.tools.exists(t, t.name == identity.sub) | 0",
        "'request.model == \"m\" && (identity.sub == \"a\" && identity.iss == \"b\")' | 2",
        "'identity.claims.repository == \"acme/app\" && now > timestamp(\"2020-01-01T00:00:00Z\")'"
            + " | 1",
        "true | 0",
      })
  void guardsAreTheConjunctsThatReadTheIdentityAlone(String when, int guards) {
    Policy policy = oneRule(when);

    assertThat(policy.rules().get(0).identityGuards()).hasSize(guards);
  }

  @Test
  void decisionsAndTracesMatchEvaluatingEveryRuleWhole() {
    String text =
        """
        version: 1
        rules:
          - name: blocked
            when: identity.sub in ["mallory", "eve"]
            deny: blocked
          - name: purpose
            when: identity.purpose == "" && request.stream
            deny: purpose needed for streams
          - name: contractors-haiku
            when: '"contractors" in identity.groups && !request.model.startsWith("claude-haiku")'
            deny: haiku only
          - name: repo
            when: identity.claims.repository == "acme/app" && request.max_tokens > 2000
            deny: repo capped
          - name: leads-tools
            when: >-
              request.tools.exists(t, t.name == "bash") && !("leads" in identity.groups)
              && identity.sub != "root"
            approve: {approvers: [security]}
          - name: ml
            when: '"ml" in identity.groups && identity.purpose != "" && request.max_tokens < 5000'
            allow: {}
          - name: clocked
            when: identity.expires_at > now && "eng" in identity.groups
            allow: {}
        """;
    Policy guarded = PolicyLoader.compile("test", text);
    Policy unguarded = evaluatedWhole(guarded);
    assertThat(guarded.rules().stream().mapToInt(r -> r.identityGuards().size()).sum())
        .isEqualTo(9);

    List<Identity> identities = new ArrayList<>();
    String[] subjects = {"alice", "mallory", "root"};
    List<List<String>> groupSets =
        List.of(
            List.of(),
            List.of("eng"),
            List.of("ml", "eng"),
            List.of("contractors"),
            List.of("leads", "ml"));
    for (String sub : subjects) {
      for (List<String> groups : groupSets) {
        for (int claims = 0; claims < 3; claims++) {
          Map<String, Object> claimMap = new HashMap<>();
          if (claims == 1) {
            claimMap.put("repository", "acme/app");
            claimMap.put("purpose", "release");
          } else if (claims == 2) {
            claimMap.put("repository", 42L);
          }
          identities.add(PolicyTest.identity(sub, groups, claimMap));
        }
      }
    }
    List<RequestSummary> requests =
        List.of(
            PolicyTest.request("{\"model\":\"claude-haiku-4\",\"max_tokens\":100}"),
            PolicyTest.request(
                "{\"model\":\"claude-sonnet-4\",\"max_tokens\":3000,\"stream\":true}"),
            PolicyTest.request(
                "{\"model\":\"claude-opus-4\",\"max_tokens\":6000,"
                    + "\"tools\":[{\"name\":\"bash\",\"type\":\"bash_20250124\"}]}"));

    int passedOver = 0;
    for (int round = 0; round < 2; round++) {
      for (Identity identity : identities) {
        for (RequestSummary request : requests) {
          Policy.Evaluation expected = unguarded.evaluate(identity, request, NOW);
          Policy.Evaluation actual = guarded.evaluate(identity, request, NOW);

          assertThat(actual.decision()).isEqualTo(expected.decision());
          assertThat(actual.trace()).isEqualTo(expected.trace());
          passedOver += actual.trace().size();
        }
      }
    }
    assertThat(passedOver).isPositive();
  }

  /** A policy of one deny rule, {@code r}, with the condition {@code when}. */
  static Policy oneRule(String when) {
    return PolicyLoader.compile(
        "test",
        "version: 1\nrules:\n  - name: r\n    when: '"
            + when.replace("'", "''")
            + "'\n    deny: no\n");
  }

  /** {@code guarded} with no guards of either kind: every rule evaluated whole, as written. */
  static Policy evaluatedWhole(Policy guarded) {
    List<Policy.Rule> whole = new ArrayList<>();
    for (Policy.Rule rule : guarded.rules()) {
      whole.add(
          new Policy.Rule(
              rule.name(),
              rule.when(),
              rule.line(),
              rule.condition(),
              List.of(),
              List.of(),
              rule.outcome()));
    }
    return new Policy(
        guarded.source(), guarded.version(), whole, guarded.federation(), guarded.masking());
  }
}
