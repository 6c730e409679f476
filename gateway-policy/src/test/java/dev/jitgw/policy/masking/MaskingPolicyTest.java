package dev.jitgw.policy.masking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MaskingPolicyTest {
  /** The example of contract section 4. */
  static final String CONTRACT_EXAMPLE =
      """
      masking:
        profiles:
          secrets: {detectors: [anthropic_api_key, aws_access_key, private_key, jwt]}
          pii: {detectors: [email, credit_card, us_ssn], fields: [ssn, password]}
        detectors:                 # custom, beside the built-in ones
          - name: codename
            regex: '\\bPROJECT-(ATLAS|ORION)\\b'
      """;

  @Test
  void theContractExampleCompilesAndMasksTheUnionOfItsProfiles() {
    MaskingPolicy policy = MaskingPolicy.compile(PolicyYaml.masking(CONTRACT_EXAMPLE));
    assertThat(policy.profileNames()).containsExactlyInAnyOrder("secrets", "pii");
    assertThat(policy.customDetectors()).containsExactly("codename");
    MaskingProfile profile = policy.profile(List.of("secrets", "pii"));
    assertThat(profile.masker().detectors())
        .containsExactly(
            "private_key",
            "anthropic_api_key",
            "aws_access_key",
            "jwt",
            "email",
            "credit_card",
            "us_ssn");
    assertThat(profile.fields()).containsExactlyInAnyOrder("ssn", "password");
    assertThat(profile.thinking()).isEqualTo(ThinkingMode.LEAVE);
    assertThat(profile.masker().mask("a@example.com AKIAIOSFODNN7EXAMPLE 8.8.8.8").text())
        .isEqualTo("[MASKED:email] [MASKED:aws_access_key] 8.8.8.8");
    // The custom detector is defined but in no profile: not used.
    assertThat(profile.masker().mask("PROJECT-ATLAS").changed()).isFalse();
  }

  @Test
  void customDetectorsAreUsedByTheProfilesThatNameThem() {
    MaskingPolicy policy =
        MaskingPolicy.compile(
            PolicyYaml.masking(
                """
                masking:
                  profiles:
                    internal: {detectors: [codename, customer, email]}
                  detectors:
                    - name: codename
                      regex: '\\bPROJECT-(ATLAS|ORION)\\b'
                    - name: customer
                      terms: [Acme Corp, Globex]
                      ignore_case: true
                """));
    MaskResult result =
        policy.profile(List.of("internal")).masker().mask("PROJECT-ORION for ACME corp, globex.");
    assertThat(result.text())
        .isEqualTo("[MASKED:codename] for [MASKED:customer], [MASKED:customer].");
    assertThat(result.counts()).isEqualTo(Map.of("codename", 1L, "customer", 2L));
  }

  @Test
  void builtInProfilesExistUnlessReplaced() {
    MaskingPolicy defaults = MaskingPolicy.defaults();
    assertThat(defaults.profileNames()).containsExactlyInAnyOrder("secrets", "pii");
    assertThat(defaults.profile(List.of("secrets")).masker().detectors())
        .containsExactly(
            "private_key", "anthropic_api_key", "aws_access_key", "jwt", "generic_secret");
    assertThat(defaults.profile(List.of("pii")).masker().detectors())
        .containsExactly("email", "credit_card", "us_ssn", "iban", "phone");

    MaskingPolicy replaced =
        MaskingPolicy.compile(
            PolicyYaml.masking("masking:\n  profiles:\n    pii: {detectors: [ipv4]}\n"));
    assertThat(replaced.profile(List.of("pii")).masker().detectors()).containsExactly("ipv4");
    assertThat(replaced.profile(List.of("secrets")).masker().detectors()).contains("jwt");
  }

  @Test
  void thinkingIsDroppedWhenAnyProfileDropsIt() {
    MaskingPolicy policy =
        MaskingPolicy.compile(
            PolicyYaml.masking(
                "masking:\n  profiles:\n    a: {thinking: leave}\n    b: {thinking: drop}\n"));
    assertThat(policy.profile(List.of("a")).thinking()).isEqualTo(ThinkingMode.LEAVE);
    assertThat(policy.profile(List.of("a", "b")).thinking()).isEqualTo(ThinkingMode.DROP);
    assertThat(policy.profile(List.of("a")).isEmpty()).isTrue();
    assertThat(policy.profile(List.of("b")).isEmpty()).isFalse();
  }

  @Test
  void profilesAreCachedAndOrderDoesNotMatter() {
    MaskingPolicy policy = MaskingPolicy.defaults();
    assertThat(policy.profile(List.of("pii", "secrets")))
        .isSameAs(policy.profile(List.of("secrets", "pii")));
    assertThat(policy.profile(List.of())).isSameAs(MaskingProfile.none());
  }

  @Test
  void anUnknownProfileIsRefused() {
    assertThatThrownBy(() -> MaskingPolicy.defaults().profile(List.of("nope")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("masking profile 'nope'");
  }

  static Stream<Arguments> mistakes() {
    return Stream.of(
        bad(
            "profiles: {p: {detectors: [emial]}}",
            "masking.profiles.p.detectors[0]",
            "unknown detector 'emial'"),
        bad("profiles: {p: {detector: [email]}}", "masking.profiles.p.detector", "unknown key"),
        bad(
            "profiles: {p: {thinking: hide}}",
            "masking.profiles.p.thinking",
            "expected leave or drop"),
        bad("profiles: {p: {fields: ssn}}", "masking.profiles.p.fields", "expected a list"),
        bad("profiles: [p]", "masking.profiles", "expected a mapping"),
        bad("colors: {}", "masking.colors", "unknown key"),
        bad(
            "detectors: [{name: x, regex: 'a+'}]",
            "masking.detectors[0].regex",
            "unbounded repetition"),
        bad("detectors: [{name: x, regex: 'a*b*'}]", "masking.detectors[0].regex", "unbounded"),
        bad("detectors: [{name: x, regex: 'a?'}]", "masking.detectors[0].regex", "empty string"),
        bad("detectors: [{name: x, regex: '(?=a)b'}]", "masking.detectors[0].regex", "lookaround"),
        bad(
            "detectors: [{name: x, regex: '(a)\\1'}]",
            "masking.detectors[0].regex",
            "backreference"),
        bad(
            "detectors: [{name: x, regex: 'a{1,5000}'}]",
            "masking.detectors[0].regex",
            "bad repetition"),
        bad("detectors: [{name: x, regex: '(a'}]", "masking.detectors[0].regex", "missing ')'"),
        bad(
            "detectors: [{name: x, regex: 'a', terms: [b]}]",
            "masking.detectors[0]",
            "exactly one"),
        bad("detectors: [{name: x}]", "masking.detectors[0]", "exactly one of regex or terms"),
        bad("detectors: [{name: x, terms: []}]", "masking.detectors[0].terms", "at least one term"),
        bad(
            "detectors: [{name: x, terms: [' a']}]",
            "masking.detectors[0].terms[0]",
            "surrounding"),
        bad("detectors: [{name: email, regex: a}]", "masking.detectors[0].name", "built-in"),
        bad("detectors: [{name: thinking, regex: a}]", "masking.detectors[0].name", "reserved"),
        bad("detectors: [{name: Bad-Name, regex: a}]", "masking.detectors[0].name", "lower case"),
        bad(
            "detectors: [{name: x, regex: a}, {name: x, regex: b}]",
            "masking.detectors[1].name",
            "defined twice"),
        bad("detectors: [{regex: a}]", "masking.detectors[0]", "needs a name"),
        bad(
            "detectors: [{name: x, regex: a, ignore_case: yes please}]",
            "masking.detectors[0].ignore_case",
            "true or false"));
  }

  private static Arguments bad(String yaml, String where, String problem) {
    return Arguments.of(yaml, where, problem);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void mistakesAreRefusedWithTheirPlace(String yaml, String where, String problem) {
    String text = "masking:\n  " + yaml + "\n";
    assertThatThrownBy(() -> MaskingPolicy.compile(PolicyYaml.masking(text)))
        .isInstanceOf(MaskingPolicyException.class)
        .hasMessageStartingWith(where + ": ")
        .hasMessageContaining(problem)
        .satisfies(
            e ->
                assertThat(String.join(".", ((MaskingPolicyException) e).path()).replace(".[", "["))
                    .isEqualTo(where));
  }
}
