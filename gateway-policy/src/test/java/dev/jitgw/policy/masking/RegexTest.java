package dev.jitgw.policy.masking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RegexTest {
  /** The matches of {@code pattern} in {@code text}, as the substrings found. */
  static List<String> find(String pattern, String text) {
    RegexDetector detector = new RegexDetector("x", Regex.compile(pattern));
    List<String> found = new ArrayList<>();
    int end =
        detector.scan(
            text(text), 0, text.length(), true, (s, e) -> found.add(text.substring(s, e)));
    assertThat(end).isEqualTo(text.length());
    return found;
  }

  static Stream<Arguments> matches() {
    return Stream.of(
        Arguments.of("abc", "xabcabc", List.of("abc", "abc")),
        Arguments.of("ab{1,3}", "abbbb a ab", List.of("abbb", "ab")),
        Arguments.of("a|b{1,3}", "xabbbb", List.of("a", "bbb", "b")),
        Arguments.of(
            "\\d{3}-\\d{4}", "call 555-1234 or 5555-12345", List.of("555-1234", "555-1234")),
        Arguments.of("\\bcat\\b", "cat concat cat. cats", List.of("cat", "cat")),
        Arguments.of(
            "(?i)project", "Project PROJECT projectile", List.of("Project", "PROJECT", "project")),
        Arguments.of("[A-F0-9]{4}", "DEADbeefCAFE", List.of("DEAD", "CAFE")),
        Arguments.of("[^ ]{2,3}", "ab cdef g", List.of("ab", "cde")),
        Arguments.of("colou?r", "color colour colouur", List.of("color", "colour")),
        Arguments.of("^[a-z]{1,5}$", "abc\nde f\nghi", List.of("abc", "ghi")),
        Arguments.of("\\x41\\u0042[\\-.]", "AB- AB. AB+", List.of("AB-", "AB.")),
        Arguments.of("a{2}", "aaaaa", List.of("aa", "aa")),
        Arguments.of("(?:ab|abcd)e{0,1}", "abcde abe", List.of("abcde", "abe")),
        Arguments.of("\\w{2}\\B\\w", "abc ab", List.of("abc")),
        // A pattern may stop inside a surrogate pair; Masker widens such a match.
        Arguments.of(".{2}", "é🎉", List.of("é\ud83c")));
  }

  @ParameterizedTest(name = "{0} in {1}")
  @MethodSource("matches")
  void findsLeftmostLongestMatches(String pattern, String text, List<String> expected) {
    assertThat(find(pattern, text)).isEqualTo(expected);
  }

  static ScanText text(String s) {
    ScanText text = new ScanText();
    text.set(s);
    text.index(0);
    return text;
  }

  @Test
  void catastrophicPatternsRunInLinearTime() {
    // With backtracking these take exponential time on a near miss; here one pass of the text.
    String text = "a".repeat(5000);
    assertThat(find("(a|a){1,30}b", text)).isEmpty();
    assertThat(find("(a{1,10}){1,10}b", text)).isEmpty();
    assertThat(find("(a|aa){1,20}c", text + "c")).hasSize(1);
  }

  @Test
  void aMatchCutByTheWindowIsHeldAtItsStart() {
    RegexDetector detector = new RegexDetector("x", Regex.compile("\\bkey-\\d{4}\\b"));
    List<int[]> found = new ArrayList<>();
    String text = "a key-12";
    int hold =
        detector.scan(text(text), 0, text.length(), false, (s, e) -> found.add(new int[] {s, e}));
    assertThat(hold).isEqualTo(2);
    assertThat(found).isEmpty();
    // A complete value still waits for the next char: \b needs it.
    String text2 = "a key-1234";
    assertThat(
            detector.scan(
                text(text2), 0, text2.length(), false, (s, e) -> found.add(new int[] {s, e})))
        .isEqualTo(2);
    String text3 = "a key-1234 b";
    assertThat(
            detector.scan(
                text(text3), 0, text3.length(), false, (s, e) -> found.add(new int[] {s, e})))
        .isEqualTo(text3.length());
    assertThat(found).hasSize(1);
  }

  @Test
  void termsMatchWholeWordsAndQuoteTheirCharacters() {
    RegexDetector terms = RegexDetector.terms("t", List.of("a.b", "C++", "x"), false);
    List<String> found = new ArrayList<>();
    String text = "a.b axb C++ C+ x xy";
    terms.scan(text(text), 0, text.length(), true, (s, e) -> found.add(text.substring(s, e)));
    assertThat(found).containsExactly("a.b", "C++", "x");
  }

  @Test
  void theMaximumLengthIsTheLongestMatch() {
    assertThat(Regex.compile("ab{2,5}(c|def)").maxLength).isEqualTo(9);
  }

  @Test
  void hugePatternsAreRefused() {
    assertThatThrownBy(() -> Regex.compile("((a{1,30}){1,30}){1,30}"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
