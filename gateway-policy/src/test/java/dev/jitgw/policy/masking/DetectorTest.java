package dev.jitgw.policy.masking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every built-in detector: values it must mask (the whole value, nothing around it) and look-alikes
 * it must leave alone.
 */
class DetectorTest {
  static final Masker ALL = Masker.builtIn(Masker.builtInDetectors());

  static final String ANTHROPIC_KEY =
      "sk-ant-api03-"
          + "R2D2C3POr2d2c3poR2D2C3POr2d2c3poR2D2C3POr2d2c3poR2D2C3POr2d2c3poR2D2C3POr2d2c3poR2D2C3POr2d2c"
          + "-Q1w2E3AA";

  static final String JWT =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
          + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
          + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

  static final String RSA_KEY =
      "-----BEGIN RSA PRIVATE KEY-----\n"
          + "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi2Y8Rl1aZ8eIj5Z7hY\n"
          + "b0R3K9bU1o4Ck2fVZ6qVw8y3O3nL5u2Zx7yZ0a9kq3v2Hc4=\n"
          + "-----END RSA PRIVATE KEY-----";

  static final String OPENSSH_KEY =
      "-----BEGIN OPENSSH PRIVATE KEY-----\n"
          + "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
          + "QyNTUxOQAAACDx4Y1cXkqHSm8RJ6jf9Iq3Yh8nDk3R9Z1l+PfT0vI6sQAAAJg=\n"
          + "-----END OPENSSH PRIVATE KEY-----";

  static Stream<Arguments> truePositives() {
    return Stream.of(
        // email
        row("email", "mail john.smith@example.com now", "mail [MASKED:email] now"),
        row("email", "<a_b+tag@sub.example.co.uk>", "<[MASKED:email]>"),
        row("email", "Write to X@Y.io.", "Write to [MASKED:email]."),
        row("email", "\"dev-ops%x@corp-mail.example\"", "\"[MASKED:email]\""),
        // credit_card
        row("credit_card", "card 4111 1111 1111 1111.", "card [MASKED:credit_card]."),
        row("credit_card", "4111-1111-1111-1111", "[MASKED:credit_card]"),
        row("credit_card", "(4111111111111111)", "([MASKED:credit_card])"),
        row("credit_card", "mc 5500 0000 0000 0004", "mc [MASKED:credit_card]"),
        row("credit_card", "amex 3400 000000 00009", "amex [MASKED:credit_card]"),
        row("credit_card", "discover 6011000990139424", "discover [MASKED:credit_card]"),
        row("credit_card", "jcb 3530111333300000", "jcb [MASKED:credit_card]"),
        row("credit_card", "mc2 2223003122003222", "mc2 [MASKED:credit_card]"),
        row("credit_card", "1234 4111111111111111", "1234 [MASKED:credit_card]"),
        // us_ssn
        row("us_ssn", "SSN: 123-45-6789.", "SSN: [MASKED:us_ssn]."),
        row("us_ssn", "ssn=219 09 9999", "ssn=[MASKED:us_ssn]"),
        // iban
        row("iban", "IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN [MASKED:iban] ok"),
        row("iban", "GB82WEST12345698765432", "[MASKED:iban]"),
        row("iban", "to FR14 2004 1010 0505 0001 3M02 606.", "to [MASKED:iban]."),
        row("iban", "NL91ABNA0417164300,", "[MASKED:iban],"),
        // phone
        row("phone", "call +1 415 555 0132.", "call [MASKED:phone]."),
        row("phone", "call +14155550132", "call [MASKED:phone]"),
        row("phone", "+44 20 7946 0958 (UK)", "[MASKED:phone] (UK)"),
        row("phone", "tel: +1 (415) 555-0132", "tel: [MASKED:phone]"),
        row("phone", "+49-30-901820", "[MASKED:phone]"),
        // ipv4
        row("ipv4", "host 192.168.1.1:8080", "host [MASKED:ipv4]:8080"),
        row("ipv4", "net 10.0.0.0/8.", "net [MASKED:ipv4]/8."),
        row("ipv4", "dns 8.8.8.8", "dns [MASKED:ipv4]"),
        // ipv6
        row("ipv6", "at 2001:db8::8a2e:370:7334 now", "at [MASKED:ipv6] now"),
        row("ipv6", "link fe80::1%eth0", "link [MASKED:ipv6]%eth0"),
        row("ipv6", "loopback ::1.", "loopback [MASKED:ipv6]."),
        row("ipv6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[MASKED:ipv6]"),
        row("ipv6", "[::ffff:192.0.2.128]:443", "[[MASKED:ipv6]]:443"),
        // anthropic_api_key
        row(
            "anthropic_api_key",
            "ANTHROPIC_API_KEY=" + ANTHROPIC_KEY + "\n",
            "ANTHROPIC_API_KEY=[MASKED:anthropic_api_key]\n"),
        row(
            "anthropic_api_key",
            "'sk-ant-admin01-abcdefghijklmnopqrstu'",
            "'[MASKED:anthropic_api_key]'"),
        // aws_access_key
        row("aws_access_key", "id AKIAIOSFODNN7EXAMPLE ok", "id [MASKED:aws_access_key] ok"),
        row("aws_access_key", "\"ASIAY34FZKBOKMUTVV7A\"", "\"[MASKED:aws_access_key]\""),
        // private_key
        row("private_key", "key:\n" + RSA_KEY + "\nthanks", "key:\n[MASKED:private_key]\nthanks"),
        row("private_key", OPENSSH_KEY, "[MASKED:private_key]"),
        row(
            "private_key",
            "cut: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n\nThat is all.",
            "cut: [MASKED:private_key]\n\nThat is all."),
        row(
            "private_key",
            "\"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\\n-----END EC PRIVATE KEY-----\\n\"",
            "\"[MASKED:private_key]\\n\""),
        // jwt
        row("jwt", "Authorization: Bearer " + JWT, "Authorization: Bearer [MASKED:jwt]"),
        row("jwt", "token=" + JWT + ".", "token=[MASKED:jwt]."),
        // generic_secret
        row(
            "generic_secret",
            "export API_KEY=ab12cd34ef56gh78ij90",
            "export API_KEY=[MASKED:generic_secret]"),
        row(
            "generic_secret",
            "{\"client_secret\": \"Zx8aB3kLm9Qp2RtY7u\"}",
            "{\"client_secret\": \"[MASKED:generic_secret]\"}"),
        row(
            "generic_secret",
            "password := 'c0rrect-h0rse-battery'",
            "password := '[MASKED:generic_secret]'"),
        row(
            "generic_secret",
            "X-Api-Key: 5f4dcc3b5aa765d61d8327deb882cf99",
            "X-Api-Key: [MASKED:generic_secret]"),
        row(
            "generic_secret",
            "Authorization: Basic dXNlcjpwYXNzd29yZDEyMzQ1Ng==",
            "Authorization: Basic [MASKED:generic_secret]"),
        row(
            "generic_secret",
            ":db_password => \"s3cr3tP4ssw0rdValue\"",
            ":db_password => \"[MASKED:generic_secret]\""));
  }

  private static Arguments row(String detector, String text, String masked) {
    return Arguments.of(detector, text, masked);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("truePositives")
  void masksTheValueAndNothingElse(String detector, String text, String masked) {
    MaskResult alone = Masker.builtIn(List.of(detector)).mask(text);
    assertThat(alone.text()).isEqualTo(masked);
    assertThat(alone.counts()).containsEntry(detector, 1L);

    // With every detector on, the same value is found, under the same name.
    MaskResult all = ALL.mask(text);
    assertThat(all.text()).isEqualTo(masked);
    assertThat(all.counts()).isEqualTo(Map.of(detector, 1L));
  }

  static Stream<Arguments> falsePositives() {
    return Stream.of(
        // credit_card
        row("credit_card", "Luhn fails", "4111 1111 1111 1112"),
        row("credit_card", "one repeated digit", "0000 0000 0000 0000"),
        row("credit_card", "a millisecond timestamp", "ts 1700000000000"),
        row("credit_card", "too many digits", "order 4111111111111111123"),
        row("credit_card", "digits of pi", "3.14159265358979323846"),
        row("credit_card", "inside a word", "id4111111111111111"),
        row("credit_card", "Visa prefix with a wrong length", "41111111111111111"),
        row("credit_card", "double separators", "4111  1111  1111  1111"),
        // us_ssn
        row("us_ssn", "area 000", "000-12-3456"),
        row("us_ssn", "area 666", "666-12-3456"),
        row("us_ssn", "area 9xx", "900-12-3456"),
        row("us_ssn", "group 00", "123-00-4567"),
        row("us_ssn", "serial 0000", "123-45-0000"),
        row("us_ssn", "no separators", "123456789"),
        row("us_ssn", "mixed separators", "123-45 6789"),
        row("us_ssn", "part of a longer number", "1-123-45-6789"),
        // iban
        row("iban", "bad checksum", "DE89 3704 0044 0532 0130 01"),
        row("iban", "wrong length for the country", "GB82WEST1234569876543"),
        row("iban", "unknown country", "XX89370400440532013000"),
        row("iban", "lower case", "de89370400440532013000"),
        row("iban", "glued to a word", "DE89370400440532013000X"),
        // phone
        row("phone", "a score", "+15 points"),
        row("phone", "too few digits", "+1 555 0132"),
        row("phone", "eight digits", "+1 5550 132"),
        row("phone", "too many digits", "+1234567890123456"),
        row("phone", "arithmetic", "1+2345678901"),
        row("phone", "leading zero", "+0 415 555 0132"),
        // ipv4
        row("ipv4", "three parts", "version 1.2.3"),
        row("ipv4", "five parts", "1.2.3.4.5"),
        row("ipv4", "v-prefixed version", "v1.2.3.4"),
        row("ipv4", "pre-release version", "1.2.3.4-beta"),
        row("ipv4", "named version", "release-1.2.3.4"),
        row("ipv4", "octet over 255", "256.1.1.1"),
        row("ipv4", "leading zero", "01.2.3.4"),
        row("ipv4", "file name", "1.2.3.4.tar"),
        // ipv6
        row("ipv6", "C++ scope", "std::vector<int> a::b"),
        row("ipv6", "time of day", "12:30:45"),
        row("ipv6", "MAC address", "00:1a:2b:3c:4d:5e"),
        row("ipv6", "hex words without a digit", "dead::beef"),
        row("ipv6", "Rust path", "Foo::Bar::baz()"),
        row("ipv6", "two compressions", "1::2::3"),
        row("ipv6", "group of five", "12345::1"),
        // email
        row("email", "image at 2x", "icon@2x.png"),
        row("email", "no dot in the domain", "user@localhost"),
        row("email", "npm scope", "npm i @types/node"),
        row("email", "one-letter top-level label", "a@b.c"),
        row("email", "local part ends with a dot", "a.@example.com"),
        row("email", "decorator", "@Override public"),
        // anthropic_api_key
        row("anthropic_api_key", "too short", "sk-ant-short"),
        row("anthropic_api_key", "inside a word", "task-ant-api03-abcdefghijklmnopqrstuvwxyz"),
        // aws_access_key
        row("aws_access_key", "one char short", "AKIAIOSFODNN7EXAMPL"),
        row("aws_access_key", "glued to more", "AKIAIOSFODNN7EXAMPLE1"),
        row("aws_access_key", "not base32", "AKIAIOSFODNN1EXAMPLE"),
        row("aws_access_key", "lower case", "akiaiosfodnn7example"),
        // private_key
        row(
            "private_key",
            "certificate",
            "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----"),
        row(
            "private_key",
            "public key",
            "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYI\n-----END PUBLIC KEY-----"),
        row("private_key", "markdown rule", "-----\nBEGIN here"),
        // jwt
        row("jwt", "one segment", "eyJhbGciOiJIUzI1NiJ9"),
        row("jwt", "two segments", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0"),
        row("jwt", "header without alg", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"),
        // generic_secret
        row("generic_secret", "short and simple", "password: hunter2"),
        row("generic_secret", "placeholder", "api_key=YOUR_API_KEY_HERE_PLEASE"),
        row("generic_secret", "variable reference", "token: process.env.API_TOKEN_VALUE"),
        row("generic_secret", "a count", "max_tokens=1024"),
        row("generic_secret", "a comparison", "if key == ab12cd34ef56gh78ij90"),
        row("generic_secret", "low entropy", "secret: aaaaaaaaaaaaaaaaaaaa1"),
        row("generic_secret", "label not a secret", "checksum: ab12cd34ef56gh78ij90"),
        row("generic_secret", "no label", "value ab12cd34ef56gh78ij90"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("falsePositives")
  void leavesLookAlikesAlone(String detector, String why, String text) {
    assertThat(Masker.builtIn(List.of(detector)).mask(text).counts()).isEmpty();
    assertThat(ALL.mask(text).text()).isEqualTo(text);
  }

  @Test
  void overlappingValuesAreMaskedOnceUnderTheMoreSpecificName() {
    // The label makes it a generic secret too; the key detector, listed first, names it.
    MaskResult result = ALL.mask("token: " + ANTHROPIC_KEY);
    assertThat(result.text()).isEqualTo("token: [MASKED:anthropic_api_key]");
    assertThat(result.counts()).isEqualTo(Map.of("anthropic_api_key", 1L));
  }

  @Test
  void valuesBesideEachOtherAreCountedSeparately() {
    MaskResult result = ALL.mask("a@example.com,b@example.com 8.8.8.8 8.8.4.4");
    assertThat(result.text())
        .isEqualTo("[MASKED:email],[MASKED:email] [MASKED:ipv4] [MASKED:ipv4]");
    assertThat(result.counts()).isEqualTo(Map.of("email", 2L, "ipv4", 2L));
  }

  @Test
  void aKeyLongerThanTheCapIsMaskedUpToTheCap() {
    String longRun = "sk-ant-" + "a1".repeat(200);
    MaskResult result = Masker.builtIn(List.of("anthropic_api_key")).mask(longRun);
    assertThat(result.text()).startsWith("[MASKED:anthropic_api_key]");
    assertThat(result.text())
        .hasSize("[MASKED:anthropic_api_key]".length() + longRun.length() - 256);
  }

  @Test
  void aMaskerWithManyDetectorsStreamsLikeOneWithFew() {
    // Past 64 detectors the masker decides which to run without bit sets.
    List<Detector> detectors = new java.util.ArrayList<>();
    for (int i = 0; i < 70; i++) {
      detectors.add(RegexDetector.terms("term" + i, List.of("word" + i), false));
    }
    detectors.add(BuiltInDetectors.named("email").orElseThrow());
    Masker many = new Masker(detectors);
    String text = "a word69 and word7, x@example.com word700 end";
    String expected = "a [MASKED:term69] and [MASKED:term7], [MASKED:email] word700 end";
    assertThat(many.mask(text).text()).isEqualTo(expected);
    TextStream stream = many.stream();
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length(); i += 3) {
      out.append(stream.push(text.substring(i, Math.min(text.length(), i + 3))));
    }
    out.append(stream.finish());
    assertThat(out.toString()).isEqualTo(expected);
  }

  @Test
  void anUnknownBuiltInNameIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Masker.builtIn(List.of("emial")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("detector 'emial'");
  }

  @Test
  void noDetectorsChangesNothing() {
    assertThat(Masker.none().mask("john@example.com").text()).isEqualTo("john@example.com");
    assertThat(Masker.none().stream().push("john@example.com")).isEqualTo("john@example.com");
  }
}
