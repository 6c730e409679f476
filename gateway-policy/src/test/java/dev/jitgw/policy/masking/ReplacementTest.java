package dev.jitgw.policy.masking;

import static dev.jitgw.policy.masking.SseTestSupport.accumulate;
import static dev.jitgw.policy.masking.SseTestSupport.feed;
import static dev.jitgw.policy.masking.SseTestSupport.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The replacement modes: {@code mask}, {@code partial} and {@code pseudonym}. */
class ReplacementTest {
  static final byte[] ALICE = PseudonymKey.of(bytes(1)).callerKey("https://idp", "alice");
  static final byte[] BOB = PseudonymKey.of(bytes(1)).callerKey("https://idp", "bob");

  static final Pattern PARTIAL_TOKEN =
      Pattern.compile("\\[MASKED:([a-z0-9_:]+):\u2026([0-9A-Za-z]{4})\\]");
  static final Pattern PSEUDONYM_TOKEN = Pattern.compile("\\[([a-z0-9_:]+):([0-9a-f]{8})\\]");

  static byte[] bytes(int seed) {
    byte[] secret = new byte[PseudonymKey.LENGTH];
    new Random(seed).nextBytes(secret);
    return secret;
  }

  /** The replacer a mode uses for ALICE; null for mask. */
  static Replacer replacer(ReplacementMode mode) {
    return switch (mode) {
      case MASK -> null;
      case PARTIAL -> Replacer.PARTIAL;
      case PSEUDONYM -> Replacer.pseudonym(ALICE);
    };
  }

  /** Turns every replacement back into {@code [MASKED:<detector>]}. */
  static String asMasked(String text) {
    String masked = PARTIAL_TOKEN.matcher(text).replaceAll("[MASKED:$1]");
    return PSEUDONYM_TOKEN.matcher(masked).replaceAll("[MASKED:$1]");
  }

  static MaskingProfile profile(String mode) {
    return MaskingPolicy.compile(
            PolicyYaml.masking(
                """
                masking:
                  profiles:
                    p:
                      detectors: [email, credit_card, iban, phone, us_ssn, anthropic_api_key]
                      fields: [password]
                      replacement: %s
                """
                    .formatted(mode)))
        .profile(List.of("p"));
  }

  // --- the policy key ---

  @Test
  void theReplacementKeyIsReadAndDefaultsToMask() {
    MaskingPolicy policy =
        MaskingPolicy.compile(
            PolicyYaml.masking(
                """
                masking:
                  profiles:
                    plain: {detectors: [email]}
                    masked: {detectors: [email], replacement: mask}
                    tails: {detectors: [credit_card], replacement: partial}
                    names: {detectors: [email], fields: [password], replacement: pseudonym}
                    dropper: {thinking: drop, replacement: partial}
                """));
    assertThat(policy.profile(List.of("plain")).replacement()).isEqualTo(ReplacementMode.MASK);
    assertThat(policy.profile(List.of("masked")).replacement()).isEqualTo(ReplacementMode.MASK);
    assertThat(policy.profile(List.of("tails")).replacement()).isEqualTo(ReplacementMode.PARTIAL);
    assertThat(policy.profile(List.of("names")).replacement()).isEqualTo(ReplacementMode.PSEUDONYM);
    assertThat(policy.profile(List.of("secrets")).replacement()).isEqualTo(ReplacementMode.MASK);
    // The most protective wins: mask > pseudonym > partial.
    assertThat(policy.profile(List.of("names", "plain")).replacement())
        .isEqualTo(ReplacementMode.MASK);
    assertThat(policy.profile(List.of("tails", "names")).replacement())
        .isEqualTo(ReplacementMode.PSEUDONYM);
    assertThat(policy.profile(List.of("tails", "secrets")).replacement())
        .isEqualTo(ReplacementMode.MASK);
    // A profile that replaces nothing has no say.
    assertThat(policy.profile(List.of("names", "dropper")).replacement())
        .isEqualTo(ReplacementMode.PSEUDONYM);
    assertThat(policy.profile(List.of("tails", "dropper")).replacement())
        .isEqualTo(ReplacementMode.PARTIAL);
  }

  @ParameterizedTest
  @ValueSource(strings = {"hash", "MASK", "last4", "''"})
  void anUnknownReplacementIsRefusedNamingTheKeyAndTheChoices(String mode) {
    String yaml =
        "masking:\n  profiles:\n    pii: {detectors: [email], replacement: " + mode + "}\n";
    assertThatThrownBy(() -> MaskingPolicy.compile(PolicyYaml.masking(yaml)))
        .isInstanceOf(MaskingPolicyException.class)
        .hasMessageStartingWith("masking.profiles.pii.replacement: ")
        .hasMessageContaining("expected mask, partial or pseudonym");
  }

  @Test
  void aReplacementThatIsNotAStringIsRefused() {
    String yaml = "masking:\n  profiles:\n    pii: {detectors: [email], replacement: [mask]}\n";
    assertThatThrownBy(() -> MaskingPolicy.compile(PolicyYaml.masking(yaml)))
        .isInstanceOf(MaskingPolicyException.class)
        .hasMessage("masking.profiles.pii.replacement: expected a string");
  }

  // --- partial ---

  @Test
  void partialKeepsTheLastFourOfCardsIbansAndLongPhoneNumbersOnly() {
    Masker masker = TextStreamTest.MASKER;
    Map<String, String> expected =
        Map.ofEntries(
            Map.entry("4111 1111 1111 1111", "[MASKED:credit_card:\u20261111]"),
            Map.entry("5500-0000-0000-0004", "[MASKED:credit_card:\u20260004]"),
            Map.entry("DE89 3704 0044 0532 0130 00", "[MASKED:iban:\u20263000]"),
            Map.entry("GB82WEST12345698765432", "[MASKED:iban:\u20265432]"),
            Map.entry("+44 20 7946 0958", "[MASKED:phone:\u20260958]"), // 12 digits
            Map.entry("+1 (415) 555-0132", "[MASKED:phone]"), // 11 digits: under the floor
            Map.entry("123-45-6789", "[MASKED:us_ssn]"), // its last four are the secret part
            Map.entry("john.smith@example.com", "[MASKED:email]"),
            Map.entry("AKIAIOSFODNN7EXAMPLE", "[MASKED:aws_access_key]"),
            Map.entry(DetectorTest.ANTHROPIC_KEY, "[MASKED:anthropic_api_key]"),
            Map.entry(DetectorTest.JWT, "[MASKED:jwt]"),
            Map.entry(DetectorTest.RSA_KEY, "[MASKED:private_key]"),
            Map.entry("2001:db8::8a2e:370:7334", "[MASKED:ipv6]"),
            Map.entry("PROJECT-ORION", "[MASKED:codename]"));
    expected.forEach(
        (value, replacement) ->
            assertThat(masker.mask("x " + value + " y", Replacer.PARTIAL).text())
                .as(value)
                .isEqualTo("x " + replacement + " y"));
  }

  @Test
  void partialNeverRevealsMoreThanFourCharactersOfAnyValue() {
    for (TextStreamTest.Unit unit : TextStreamTest.VALUES) {
      String out = TextStreamTest.MASKER.mask(unit.text(), Replacer.PARTIAL).text();
      Matcher token = PARTIAL_TOKEN.matcher(out);
      if (!token.find()) {
        assertThat(out).as(unit.text()).isEqualTo(unit.masked());
        continue;
      }
      String significant = unit.text().replaceAll("[^0-9A-Za-z]", "");
      assertThat(Replacer.TAILED).contains(token.group(1));
      assertThat(significant.length()).as(unit.text()).isGreaterThanOrEqualTo(12);
      assertThat(token.group(2)).isEqualTo(significant.substring(significant.length() - 4));
      assertThat(token.find()).as("one token").isFalse();
      // Outside the token, nothing of the value.
      assertThat(asMasked(out)).isEqualTo(unit.masked());
    }
  }

  @Test
  void fieldsAreMaskedWholeInPartialMode() throws Exception {
    JsonBodyMasker.Result result =
        profile("partial")
            .jsonBodyMasker()
            .mask(
                "{\"password\":\"correct horse battery staple\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(new String(result.body(), StandardCharsets.UTF_8))
        .isEqualTo("{\"password\":\"[MASKED:field:password]\"}");
  }

  // --- pseudonym ---

  @Test
  void aPseudonymIsStableForOneCallerAndValueAndDiffersOtherwise() {
    Masker masker = Masker.builtIn(List.of("email", "credit_card"));
    String text = "mail john@example.com or jane@example.com, card 4111 1111 1111 1111";
    String first = masker.mask(text, Replacer.pseudonym(ALICE)).text();
    String again = masker.mask(text, Replacer.pseudonym(ALICE.clone())).text();
    String other = masker.mask(text, Replacer.pseudonym(BOB)).text();
    assertThat(first).matches("mail \\[email:[0-9a-f]{8}] or \\[email:[0-9a-f]{8}], card .*");
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    List<String> names = pseudonyms(first);
    assertThat(names).hasSize(3);
    assertThat(names.get(0)).as("another value").isNotEqualTo(names.get(1));
    assertThat(pseudonyms(other)).doesNotContainAnyElementsOf(names);
    // The same card written another way is the same card.
    assertThat(masker.mask("4111-1111-1111-1111", Replacer.pseudonym(ALICE)).text())
        .isEqualTo(names.get(2));
    // A key derived again from the same gateway secret gives the same pseudonyms.
    byte[] derived = PseudonymKey.of(bytes(1)).callerKey("https://idp", "alice");
    assertThat(masker.mask(text, Replacer.pseudonym(derived)).text()).isEqualTo(first);
    // Another gateway secret, other pseudonyms.
    byte[] foreign = PseudonymKey.of(bytes(2)).callerKey("https://idp", "alice");
    assertThat(masker.mask(text, Replacer.pseudonym(foreign)).text()).isNotEqualTo(first);
    // Issuer and subject are kept apart: ("ab", "c") is not ("a", "bc").
    PseudonymKey key = PseudonymKey.of(bytes(1));
    assertThat(key.callerKey("ab", "c")).isNotEqualTo(key.callerKey("a", "bc"));
  }

  private static List<String> pseudonyms(String text) {
    List<String> found = new ArrayList<>();
    Matcher m = PSEUDONYM_TOKEN.matcher(text);
    while (m.find()) {
      found.add(m.group());
    }
    return found;
  }

  @Test
  void aPseudonymProfileWithoutACallerMasks() throws Exception {
    MaskingProfile profile = profile("pseudonym");
    assertThat(profile.replacement()).isEqualTo(ReplacementMode.PSEUDONYM);
    // Outside a message, only fields apply.
    byte[] body = "{\"password\":\"hunter2\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(new String(profile.jsonBodyMasker().mask(body).body(), StandardCharsets.UTF_8))
        .isEqualTo("{\"password\":\"[MASKED:field:password]\"}");
    String named =
        new String(
            profile.forCaller(ALICE).jsonBodyMasker().mask(body).body(), StandardCharsets.UTF_8);
    assertThat(named).matches("\\{\"password\":\"\\[field:password:[0-9a-f]{8}]\"}");
    // Other modes have no use for the caller.
    MaskingProfile partial = profile("partial");
    assertThat(partial.forCaller(ALICE)).isSameAs(partial);
    MaskingProfile mask = profile("mask");
    assertThat(mask.forCaller(PseudonymKey.of(bytes(1)), "i", "s")).isSameAs(mask);
  }

  @Test
  void theGatewaySecretIsCreatedOwnerOnlyAndReadBack(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("data").resolve("masking-key");
    PseudonymKey created = PseudonymKey.openOrCreate(file);
    assertThat(Files.size(file)).isEqualTo(PseudonymKey.LENGTH);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    PseudonymKey read = PseudonymKey.openOrCreate(file);
    assertThat(read.callerKey("i", "s")).isEqualTo(created.callerKey("i", "s"));
    assertThat(created.toString())
        .doesNotContain(Files.readString(file, StandardCharsets.ISO_8859_1));
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file); // no temporary file left behind
    }

    Files.write(file, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> PseudonymKey.openOrCreate(file))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("3 bytes (expected: 32");
  }

  // --- streaming in every mode ---

  @ParameterizedTest(name = "{0}")
  @EnumSource(ReplacementMode.class)
  void everyCutOfATextStreamsAsTheWholeTextMasks(ReplacementMode mode) {
    Replacer replacer = replacer(mode);
    for (int seed = 1; seed <= 6; seed++) {
      Random random = new Random(seed);
      StringBuilder masked = new StringBuilder();
      String text = TextStreamTest.generate(random, true, masked);
      String whole = TextStreamTest.MASKER.mask(text, replacer).text();
      assertThat(asMasked(whole)).isEqualTo(masked.toString());
      for (int cut = 0; cut <= text.length(); cut++) {
        assertThat(stream(text, replacer, cut)).as("cut at %d of %s", cut, text).isEqualTo(whole);
      }
      int[] everyChar = new int[text.length()];
      for (int i = 0; i < everyChar.length; i++) {
        everyChar[i] = i;
      }
      assertThat(stream(text, replacer, everyChar)).isEqualTo(whole);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ReplacementMode.class)
  void noFourCharactersOfAValueLeaveOutsideTheirReplacement(ReplacementMode mode) {
    Replacer replacer = replacer(mode);
    Random random = new Random(47);
    Set<String> grams = new HashSet<>();
    for (TextStreamTest.Unit unit : TextStreamTest.VALUES) {
      if (unit.masked().startsWith("[MASKED:")) {
        for (int i = 0; i + 4 <= unit.text().length(); i++) {
          grams.add(unit.text().substring(i, i + 4));
        }
      }
    }
    for (int round = 0; round < 40; round++) {
      StringBuilder masked = new StringBuilder();
      String text = TextStreamTest.generate(random, false, masked);
      TreeSet<Integer> cuts = new TreeSet<>();
      for (int i = random.nextInt(60); i > 0; i--) {
        int cut = random.nextInt(text.length() + 1);
        if (cut > 0 && cut < text.length() && Character.isLowSurrogate(text.charAt(cut))) {
          cut--;
        }
        cuts.add(cut);
      }
      String out = stream(text, replacer, cuts.stream().mapToInt(Integer::intValue).toArray());
      String outside = asMasked(out);
      assertThat(outside).isEqualTo(masked.toString());
      for (String gram : grams) {
        assertThat(outside).doesNotContain(gram);
      }
    }
  }

  private static String stream(String text, Replacer replacer, int... cuts) {
    TextStream stream = TextStreamTest.MASKER.stream(replacer);
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (int cut : cuts) {
      out.append(stream.push(text.substring(from, cut)));
      from = cut;
    }
    out.append(stream.push(text.substring(from)));
    out.append(stream.finish());
    return out.toString();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mask", "partial", "pseudonym"})
  void aStreamAccumulatesToTheJsonBodyMaskedTheSameWay(String mode) throws Exception {
    MaskingProfile profile = profile(mode).forCaller(ALICE);
    String text = "Mail john@example.com, card 4111 1111 1111 1111, IBAN GB82WEST12345698765432.";
    String input =
        "{\"to\":\"jane@example.com\",\"password\":\"hunter2\",\"n\":[1,\"+44 20 7946 0958\"]}";
    Random random = new Random(mode.hashCode());
    byte[] upstream =
        new SseTestSupport.Stream()
            .messageStart()
            .textBlock(0, SseMaskerTest.pieces(text, random, 30))
            .toolBlock(1, "toolu_01", SseMaskerTest.pieces(input, random, 10))
            .messageEnd()
            .bytes();
    byte[] whole = feed(profile.newSseMasker(), upstream);
    for (int cut = 0; cut <= upstream.length; cut++) {
      assertThat(feed(profile.newSseMasker(), upstream, cut)).as("cut at %d", cut).isEqualTo(whole);
    }
    ObjectNode received = accumulate(parse(whole));
    byte[] unstreamed =
        profile
            .jsonBodyMasker()
            .mask(SseTestSupport.JSON.writeValueAsBytes(accumulate(parse(upstream))))
            .body();
    assertThat(received).isEqualTo(SseTestSupport.JSON.readTree(unstreamed));

    String receivedText = received.at("/content/0/text").asText();
    JsonNode receivedInput = received.at("/content/1/input");
    switch (mode) {
      case "mask" -> {
        assertThat(receivedText)
            .isEqualTo("Mail [MASKED:email], card [MASKED:credit_card], IBAN [MASKED:iban].");
        assertThat(receivedInput.get("password").asText()).isEqualTo("[MASKED:field:password]");
      }
      case "partial" -> {
        assertThat(receivedText)
            .isEqualTo(
                "Mail [MASKED:email], card [MASKED:credit_card:\u20261111],"
                    + " IBAN [MASKED:iban:\u20265432].");
        assertThat(receivedInput.get("password").asText()).isEqualTo("[MASKED:field:password]");
        assertThat(receivedInput.at("/n/1").asText()).isEqualTo("[MASKED:phone:\u20260958]");
      }
      default -> {
        assertThat(receivedText)
            .matches(
                "Mail \\[email:[0-9a-f]{8}], card \\[credit_card:[0-9a-f]{8}],"
                    + " IBAN \\[iban:[0-9a-f]{8}]\\.");
        assertThat(receivedInput.get("password").asText())
            .matches("\\[field:password:[0-9a-f]{8}]");
        // The same caller's next response names the same values alike.
        MaskingProfile next = profile(mode).forCaller(ALICE.clone());
        assertThat(feed(next.newSseMasker(), upstream)).isEqualTo(whole);
        assertThat(feed(profile(mode).forCaller(BOB).newSseMasker(), upstream)).isNotEqualTo(whole);
      }
    }
    // Counts stay per detector, whatever the mode.
    SseMasker counted = profile.newSseMasker();
    feed(counted, upstream);
    assertThat(counted.counts())
        .isEqualTo(
            Map.of("email", 2L, "credit_card", 1L, "iban", 1L, "phone", 1L, "field:password", 1L));
    assertThat(new ObjectMapper().writeValueAsString(counted.counts())).doesNotContain("hunter2");
  }
}
