package dev.jitgw.policy.masking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Streaming masks exactly what whole-text masking masks, however the text is cut into pieces, and
 * never lets out part of a value first.
 */
class TextStreamTest {
  static final Masker MASKER = masker();

  static Masker masker() {
    List<Detector> detectors = new ArrayList<>();
    for (String name : Masker.builtInDetectors()) {
      detectors.add(BuiltInDetectors.named(name).orElseThrow());
    }
    detectors.add(new RegexDetector("codename", Regex.compile("\\bPROJECT-(ATLAS|ORION)\\b")));
    detectors.add(RegexDetector.terms("customer", List.of("Acme Corp", "Globex"), true));
    return new Masker(detectors);
  }

  /** A planted value: what goes into the text and what the caller must see instead. */
  record Unit(String text, String masked) {
    static Unit value(String text, String detector) {
      return new Unit(text, Masker.replacement(detector));
    }

    static Unit plain(String text) {
      return new Unit(text, text);
    }
  }

  static final List<Unit> VALUES =
      List.of(
          Unit.value("john.smith@example.com", "email"),
          Unit.value("a_b+tag@sub.example.co.uk", "email"),
          Unit.value("4111 1111 1111 1111", "credit_card"),
          Unit.value("5500-0000-0000-0004", "credit_card"),
          Unit.value("6011000990139424", "credit_card"),
          Unit.value("123-45-6789", "us_ssn"),
          Unit.value("DE89 3704 0044 0532 0130 00", "iban"),
          Unit.value("GB82WEST12345698765432", "iban"),
          Unit.value("+1 (415) 555-0132", "phone"),
          Unit.value("+44 20 7946 0958", "phone"),
          Unit.value("192.168.10.254", "ipv4"),
          Unit.value("2001:db8::8a2e:370:7334", "ipv6"),
          Unit.value("fe80::1", "ipv6"),
          Unit.value(DetectorTest.ANTHROPIC_KEY, "anthropic_api_key"),
          Unit.value("AKIAIOSFODNN7EXAMPLE", "aws_access_key"),
          Unit.value(DetectorTest.RSA_KEY, "private_key"),
          Unit.value(DetectorTest.OPENSSH_KEY, "private_key"),
          Unit.value(DetectorTest.JWT, "jwt"),
          new Unit(
              "api_key=ab12cd34ef56gh78ij90", "api_key=" + Masker.replacement("generic_secret")),
          new Unit(
              "\"client_secret\": \"Zx8aB3kLm9Qp2RtY7u\"",
              "\"client_secret\": \"" + Masker.replacement("generic_secret") + "\""),
          Unit.value("PROJECT-ORION", "codename"),
          Unit.value("acme CORP", "customer"));

  /** Near misses: each must come out unchanged, and they keep the hold-back logic busy. */
  static final List<Unit> DECOYS =
      List.of(
          Unit.plain("4111 1111 1111 1112"),
          Unit.plain("1700000000000"),
          Unit.plain("DE89 3704 0044 0532 0130 01"),
          Unit.plain("version 1.2.3"),
          Unit.plain("v1.2.3.4"),
          Unit.plain("std::vector"),
          Unit.plain("12:30:45"),
          Unit.plain("icon@2x.png"),
          Unit.plain("user@localhost"),
          Unit.plain("sk-ant-short"),
          Unit.plain("AKIAIOSFODNN7EXAMPL"),
          Unit.plain("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmg\n-----END CERTIFICATE-----"),
          Unit.plain("eyJhbGciOiJIUzI1NiJ9"),
          Unit.plain("password: hunter2"),
          Unit.plain("max_tokens=1024"),
          Unit.plain("PROJECT-ATLASX"),
          Unit.plain("+15 points"),
          Unit.plain("e-mail"),
          Unit.plain("---"));

  /** Words with no ASCII letters or digits, so no four characters of a value occur by chance. */
  static final List<String> FILLER =
      List.of(
          "αβγ", "жизнь", "日本語", "🎉", "über", "ça", "—", "…", "😀😀", "наш", "한국어", "x", "to",
          "Ω");

  static final List<String> SEPARATORS = List.of(", ", " | ", " — ", ";\n", " 🎉 ", " 日本 ", "\n\n");

  /** Random text from values, decoys and filler; {@code expected[0]} gets the masked text. */
  static String generate(Random random, boolean decoys, StringBuilder expected) {
    StringBuilder text = new StringBuilder();
    int tokens = 4 + random.nextInt(12);
    for (int t = 0; t < tokens; t++) {
      if (t > 0) {
        String separator = SEPARATORS.get(random.nextInt(SEPARATORS.size()));
        text.append(separator);
        expected.append(separator);
      }
      int kind = random.nextInt(decoys ? 3 : 2);
      if (kind == 0) {
        Unit unit = VALUES.get(random.nextInt(VALUES.size()));
        text.append(unit.text());
        expected.append(unit.masked());
      } else if (kind == 1) {
        String word = FILLER.get(random.nextInt(FILLER.size()));
        text.append(word);
        expected.append(word);
      } else {
        Unit unit = DECOYS.get(random.nextInt(DECOYS.size()));
        text.append(unit.text());
        expected.append(unit.masked());
      }
    }
    return text.toString();
  }

  /** Streams {@code text} cut at {@code cuts} (sorted positions); returns each emitted piece. */
  static List<String> stream(Masker masker, String text, int[] cuts) {
    TextStream stream = masker.stream();
    List<String> out = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      out.add(stream.push(text.substring(from, cut)));
      assertThat(stream.held())
          .as("held back at most the longest value plus the piece")
          .isLessThanOrEqualTo(masker.maxMatchLength() + (cut - from) + 1);
      from = cut;
    }
    out.add(stream.push(text.substring(from)));
    out.add(stream.finish());
    return out;
  }

  private static String join(List<String> pieces) {
    return String.join("", pieces);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
  void everyCutInTwoGivesTheWholeTextResult(int seed) {
    Random random = new Random(seed);
    StringBuilder expected = new StringBuilder();
    String text = generate(random, true, expected);
    assertThat(MASKER.mask(text).text()).isEqualTo(expected.toString());
    for (int cut = 0; cut <= text.length(); cut++) {
      assertThat(join(stream(MASKER, text, new int[] {cut})))
          .as("cut at %d of %s", cut, text)
          .isEqualTo(expected.toString());
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {21, 22, 23, 24, 25, 26, 27, 28})
  void oneCharAtATimeGivesTheWholeTextResult(int seed) {
    Random random = new Random(seed);
    StringBuilder expected = new StringBuilder();
    String text = generate(random, true, expected);
    int[] cuts = new int[text.length()];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = i;
    }
    assertThat(join(stream(MASKER, text, cuts))).isEqualTo(expected.toString());
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {31, 32, 33, 34, 35, 36, 37, 38, 39, 40})
  void randomCutsIntoManyPiecesGiveTheWholeTextResult(int seed) {
    Random random = new Random(seed);
    StringBuilder expected = new StringBuilder();
    String text = generate(random, true, expected);
    for (int round = 0; round < 200; round++) {
      int pieces = 1 + random.nextInt(40);
      TreeSet<Integer> cuts = new TreeSet<>();
      for (int i = 1; i < pieces; i++) {
        cuts.add(codePointBoundary(text, random.nextInt(text.length() + 1)));
      }
      int[] sorted = cuts.stream().mapToInt(Integer::intValue).toArray();
      assertThat(join(stream(MASKER, text, sorted)))
          .as("cuts %s", cuts)
          .isEqualTo(expected.toString());
    }
  }

  /** Deltas carry whole characters; this test's pieces do too, except where noted. */
  private static int codePointBoundary(String text, int i) {
    if (i > 0 && i < text.length() && Character.isLowSurrogate(text.charAt(i))) {
      return i - 1;
    }
    return i;
  }

  /**
   * Each built-in detector alone, so no other detector's hold-back (an email's word, say) covers
   * for it: its values, cut into two or three pieces at every place, come out masked whole.
   */
  @Test
  void eachDetectorAloneMasksItsValuesCutAnywhere() {
    int checked = 0;
    for (Unit unit : VALUES) {
      String detector = unit.masked().replaceAll(".*\\[MASKED:([a-z0-9_]+)\\].*", "$1");
      if (!Masker.builtInDetectors().contains(detector)) {
        continue; // the custom ones of this test's masker
      }
      Masker alone = Masker.builtIn(List.of(detector));
      String text = "id " + unit.text() + " ok";
      String expected = "id " + unit.masked() + " ok";
      int n = text.length();
      for (int a = 1; a < n; a++) {
        assertThat(String.join("", stream(alone, text, new int[] {a, n})))
            .as("%s cut at %d", detector, a)
            .isEqualTo(expected);
        for (int b = a + 1; n <= 64 && b < n; b++) {
          assertThat(String.join("", stream(alone, text, new int[] {a, b, n})))
              .as("%s cut at %d and %d", detector, a, b)
              .isEqualTo(expected);
        }
      }
      checked++;
    }
    assertThat(checked).isGreaterThan(15);
  }

  @Test
  void aSurrogatePairCutInTwoIsNeverEmittedByHalves() {
    String text = "a 🎉 b";
    int cut = text.indexOf('🎉') + 1; // between the two halves of the emoji
    List<String> pieces = stream(MASKER, text, new int[] {cut});
    assertThat(join(pieces)).isEqualTo(text);
    for (String piece : pieces) {
      assertThat(piece.isEmpty() || !Character.isHighSurrogate(piece.charAt(piece.length() - 1)))
          .as("piece %s ends with half a character", piece)
          .isTrue();
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {41, 42, 43, 44, 45, 46})
  void noFourCharactersOfAValueLeaveInAnyPiece(int seed) {
    Random random = new Random(seed);
    StringBuilder expected = new StringBuilder();
    String text = generate(random, false, expected);
    Set<String> grams = new HashSet<>();
    for (Unit unit : VALUES) {
      String value = unit.masked().startsWith("[MASKED:") ? unit.text() : secretPart(unit);
      for (int i = 0; i + 4 <= value.length(); i++) {
        grams.add(value.substring(i, i + 4));
      }
    }
    for (int round = 0; round < 100; round++) {
      TreeSet<Integer> cuts = new TreeSet<>();
      int pieces = 1 + random.nextInt(60);
      for (int i = 1; i < pieces; i++) {
        cuts.add(codePointBoundary(text, random.nextInt(text.length() + 1)));
      }
      List<String> out = stream(MASKER, text, cuts.stream().mapToInt(Integer::intValue).toArray());
      String all = join(out);
      for (String gram : grams) {
        assertThat(all).as("cuts %s", cuts).doesNotContain(gram);
      }
      assertThat(all).isEqualTo(expected.toString());
    }
  }

  /** The value after the label of a generic secret unit. */
  private static String secretPart(Unit unit) {
    String prefix = unit.masked().substring(0, unit.masked().indexOf("[MASKED:"));
    String rest = unit.text().substring(prefix.length());
    return rest.endsWith("\"") ? rest.substring(0, rest.length() - 1) : rest;
  }

  @Test
  void textIsEmittedAsSoonAsNoValueCanBeInProgress() {
    TextStream stream = Masker.builtIn(List.of("credit_card", "anthropic_api_key")).stream();
    assertThat(stream.push("Hello there, ")).isEqualTo("Hello there, ");
    assertThat(stream.push("card 4111 ")).isEqualTo("card ");
    assertThat(stream.held()).isEqualTo("4111 ".length());
    assertThat(stream.push("1111 1111 1111 and")).isEqualTo("[MASKED:credit_card] and");
    assertThat(stream.push(" sk-an")).isEqualTo(" ");
    assertThat(stream.push("ything else")).isEqualTo("sk-anything else");
    assertThat(stream.finish()).isEmpty();
    assertThat(stream.counts()).containsEntry("credit_card", 1L);
  }

  @Test
  void anEmailDetectorHoldsTheLastWordUntilTheNextCharacter() {
    TextStream stream = Masker.builtIn(List.of("email")).stream();
    assertThat(stream.push("write to john")).isEqualTo("write to ");
    assertThat(stream.push(".smith")).isEmpty();
    assertThat(stream.push("@example.com")).isEmpty();
    assertThat(stream.push(" today")).isEqualTo("[MASKED:email] ");
    assertThat(stream.finish()).isEqualTo("today");
  }

  @Test
  void finishMasksWhatWasHeldWithTheEndOfTextKnown() {
    TextStream stream = Masker.builtIn(List.of("ipv4")).stream();
    assertThat(stream.push("server 10.1.2.3")).isEqualTo("server ");
    assertThat(stream.finish()).isEqualTo("[MASKED:ipv4]");
    assertThat(stream.counts()).containsEntry("ipv4", 1L);
  }
}
