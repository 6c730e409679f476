package dev.jitgw.audit.checkpoint;

import static dev.jitgw.audit.checkpoint.ReferenceVectors.BAD_KEY_ALGORITHM;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.BAD_KEY_LENGTH;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.ENOCH_SIG;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.ENOCH_VKEY;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.PETER_NOTE;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.PETER_SIG;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.PETER_VKEY;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.TEXT;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jitgw.audit.checkpoint.NoteVerificationException.Reason;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link NoteVerifier}: verifier keys and the strict reading of signed notes. */
class NoteVerifierTest {

  private static final NoteVerifier PETER = NoteVerifier.parse(PETER_VKEY);
  private static final NoteVerifier ENOCH = NoteVerifier.parse(ENOCH_VKEY);

  /** A key with Peter's name but not his key. */
  private static final NoteSigner IMPOSTOR = NoteSigner.generate("PeterNeumann");

  /** Go's peterSig[:60]: a byte offset; the em dash is 3 bytes in UTF-8 and 1 char in Java. */
  private static final int GO_OFFSET_60 = 58;

  // --- the reference note ---------------------------------------------------------------------

  @Test
  void opensTheGoReferenceNote() throws Exception {
    NoteVerifier.Verified verified = PETER.open(PETER_NOTE);

    assertThat(verified.text()).isEqualTo(TEXT);
    assertThat(verified.signature().keyName()).isEqualTo("PeterNeumann");
    assertThat(verified.signature().keyHash()).isEqualTo(0xc74f20a3);
    assertThat(verified.signature().line() + "\n").isEqualTo(PETER_SIG);
    assertThat(verified.signature().signatureBytes()).hasSize(64);
    assertThat(verified.otherSignatures()).isEmpty();
  }

  @Test
  void opensTheNoteAsUtf8Bytes() throws Exception {
    assertThat(PETER.open(PETER_NOTE.getBytes(UTF_8)).text()).isEqualTo(TEXT);
  }

  @Test
  void parsesTheGoVerifierKey() {
    assertThat(PETER.name()).isEqualTo("PeterNeumann");
    assertThat(PETER.keyHash()).isEqualTo(0xc74f20a3);
    assertThat(PETER.keyId()).isEqualTo("PeterNeumann+c74f20a3");
    assertThat(PETER.verifierKey()).isEqualTo(PETER_VKEY);
    assertThat(PETER).hasToString(PETER_VKEY).isEqualTo(NoteVerifier.parse(PETER_VKEY));
    assertThat(PETER.publicKey()).hasSize(32);
    assertThat(NoteVerifier.of("PeterNeumann", PETER.publicKey())).isEqualTo(PETER);
    assertThat(PETER).isNotEqualTo(ENOCH);
  }

  /** Go's TestOpen: one signature verified, the other (unknown key) kept but not verified. */
  @Test
  void ignoresSignaturesOfOtherKeys() throws Exception {
    String note = TEXT + "\n" + PETER_SIG + ENOCH_SIG;

    NoteVerifier.Verified byPeter = PETER.open(note);
    NoteVerifier.Verified byEnoch = ENOCH.open(note);

    assertThat(byPeter.signature().keyId()).isEqualTo("PeterNeumann+c74f20a3");
    assertThat(byPeter.otherSignatures())
        .extracting(NoteSignature::keyId)
        .containsExactly("EnochRoot+af0cfe78");
    assertThat(byEnoch.signature().keyId()).isEqualTo("EnochRoot+af0cfe78");
    assertThat(byEnoch.otherSignatures())
        .extracting(NoteSignature::keyId)
        .containsExactly("PeterNeumann+c74f20a3");
  }

  /** Go's TestOpen: duplicated verified and unverified signatures, one of them corrupt. */
  @Test
  void aCorruptSignatureOfAnotherKeyIsIgnored() throws Exception {
    String corruptEnoch =
        ENOCH_SIG.substring(0, GO_OFFSET_60) + "ABCD" + ENOCH_SIG.substring(GO_OFFSET_60);
    String note = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + corruptEnoch;

    NoteVerifier.Verified verified = PETER.open(note);

    assertThat(verified.signature().line() + "\n").isEqualTo(PETER_SIG);
    assertThat(verified.otherSignatures()).hasSize(3);
    assertThat(verified.otherSignatures().get(2).base64())
        .isEqualTo(
            "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n"
                + "ABCD"
                + "2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=");
  }

  /** Go's TestOpen "Invalid signature": four characters inserted into Peter's signature. */
  @Test
  void refusesTheGoInvalidSignature() {
    String note =
        TEXT
            + "\n"
            + PETER_SIG.substring(0, GO_OFFSET_60)
            + "ABCD"
            + PETER_SIG.substring(GO_OFFSET_60);

    assertRefused(note, PETER, Reason.BAD_SIGNATURE, "signature by PeterNeumann+c74f20a3 is 67");
  }

  /** Go's TestOpen "Invalid encoded message syntax", each a malformed note. */
  static Stream<Arguments> goBadMessages() {
    byte[] text = TEXT.getBytes(UTF_8);
    byte[] sig = PETER_SIG.getBytes(UTF_8);
    return Stream.of(
        Arguments.of("text only", text),
        Arguments.of("text and blank line", bytes(TEXT + "\n")),
        Arguments.of(
            "signature without final newline",
            bytes(TEXT + "\n" + PETER_SIG.substring(0, PETER_SIG.length() - 1))),
        Arguments.of("leading \\x01", concat(new byte[] {0x01}, bytes(TEXT + "\n"), sig)),
        Arguments.of("leading \\xff", concat(new byte[] {(byte) 0xff}, bytes(TEXT + "\n"), sig)),
        Arguments.of(
            "name with a space",
            bytes(
                TEXT
                    + "\n"
                    + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")),
        Arguments.of("unexpected line", bytes(TEXT + "\n" + PETER_SIG + "Unexpected line.\n")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goBadMessages")
  void refusesTheGoBadMessages(String caseName, byte[] note) {
    assertThatThrownBy(() -> PETER.open(note))
        .isInstanceOf(NoteVerificationException.class)
        .hasMessageContaining("signed-note §Format")
        .extracting(e -> ((NoteVerificationException) e).reason())
        .isEqualTo(Reason.MALFORMED_NOTE);
  }

  // --- tampering --------------------------------------------------------------------------------

  static Stream<Arguments> tampered() {
    return Stream.of(
        tamper(
            "text edited",
            n -> n.replace("cryptography", "cryptographY"),
            Reason.BAD_SIGNATURE,
            "signature by PeterNeumann+c74f20a3 does not verify over the note text"),
        tamper(
            "line of text removed",
            n -> n.replace("then you don't know what your problem is.\n", ""),
            Reason.BAD_SIGNATURE,
            "does not verify"),
        tamper(
            "signature byte flipped",
            n -> withSignatureByte(n, 20),
            Reason.BAD_SIGNATURE,
            "signature by PeterNeumann+c74f20a3 does not verify over the note text"),
        tamper(
            "last signature byte flipped",
            n -> withSignatureByte(n, 67),
            Reason.BAD_SIGNATURE,
            "does not verify"),
        tamper(
            "signature truncated to 63 bytes",
            n -> withSignatureLength(n, 63),
            Reason.BAD_SIGNATURE,
            "signature by PeterNeumann+c74f20a3 is 63 bytes (expected 64 for Ed25519)"),
        tamper(
            "key ID byte flipped",
            n -> withSignatureByte(n, 0),
            Reason.UNKNOWN_KEY,
            "note has no signature by PeterNeumann+c74f20a3 (found PeterNeumann+d74f20a3;"),
        tamper(
            "signed by another key of the same name",
            n -> TEXT + "\n" + IMPOSTOR.sign(TEXT).substring(TEXT.length() + 1),
            Reason.UNKNOWN_KEY,
            "note has no signature by PeterNeumann+c74f20a3 (found PeterNeumann+"),
        tamper(
            "signature renamed",
            n -> n.replace("PeterNeumann", "CarmenSandiego"),
            Reason.UNKNOWN_KEY,
            "(found CarmenSandiego+c74f20a3; signatures by other keys are ignored)"),
        tamper(
            "second signature by the same key is bad",
            n -> n + withSignatureByte(PETER_SIG, 30).substring(TEXT.length() + 1),
            Reason.BAD_SIGNATURE,
            "does not verify"),
        tamper(
            "missing signature",
            n -> TEXT + "\n",
            Reason.MALFORMED_NOTE,
            "note has no signature lines after its blank line"),
        tamper(
            "missing blank line",
            n -> TEXT + PETER_SIG,
            Reason.MALFORMED_NOTE,
            "note has no blank line between its text and its signatures"),
        tamper(
            "no trailing newline",
            n -> n.substring(0, n.length() - 1),
            Reason.MALFORMED_NOTE,
            "note does not end with a newline"),
        tamper(
            "extra line after signatures",
            n -> n + "P.S. trust me\n",
            Reason.MALFORMED_NOTE,
            "signature line 2 \"P.S. trust me\" does not start with an em dash and a space"),
        tamper(
            "blank line after signatures",
            n -> n + "\n",
            Reason.MALFORMED_NOTE,
            "note has no signature lines after its blank line"),
        tamper(
            "CRLF line endings",
            n -> n.replace("\n", "\r\n"),
            Reason.MALFORMED_NOTE,
            "note contains control character U+000D at offset 56"),
        tamper(
            "hyphen for em dash",
            n -> n.replace("— ", "- "),
            Reason.MALFORMED_NOTE,
            "does not start with an em dash and a space"),
        tamper(
            "en dash for em dash",
            n -> n.replace("— ", "\u2013 "),
            Reason.MALFORMED_NOTE,
            "does not start with an em dash and a space"),
        tamper(
            "two spaces before the signature",
            n -> n.replace("PeterNeumann ", "PeterNeumann  "),
            Reason.MALFORMED_NOTE,
            "is not canonical base64 of a 4-byte key ID and a signature"),
        tamper(
            "no space before the signature",
            n -> n.replace("PeterNeumann ", "PeterNeumann"),
            Reason.MALFORMED_NOTE,
            "has no space between key name and signature"),
        tamper(
            "unpadded base64",
            n -> n.replace("nAM=\n", "nAM\n"),
            Reason.MALFORMED_NOTE,
            "is not canonical base64"),
        tamper(
            "URL-safe base64",
            n -> n.replace("x08go/", "x08go_"),
            Reason.MALFORMED_NOTE,
            "is not canonical base64"),
        tamper(
            "key name with a plus",
            n -> n.replace("— PeterNeumann", "— Peter+Neumann"),
            Reason.MALFORMED_NOTE,
            "key name \"Peter+Neumann\" contains '+' at offset 5"),
        tamper(
            "signature of four bytes",
            n -> TEXT + "\n— PeterNeumann x08gow==\n",
            Reason.MALFORMED_NOTE,
            "\"x08gow==\" is not canonical base64 of a 4-byte key ID and a signature"),
        tamper(
            "101 signatures",
            n -> TEXT + "\n" + PETER_SIG.repeat(101),
            Reason.MALFORMED_NOTE,
            "note has 101 signature lines (at most 100 are accepted)"),
        tamper(
            "unpaired surrogate",
            n -> "\ud83d" + n,
            Reason.MALFORMED_NOTE,
            "note contains an unpaired surrogate U+D83D at offset 0"),
        tamper("empty note", n -> "", Reason.MALFORMED_NOTE, "note has no blank line between"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tampered")
  void refusesTamperedNotes(
      String caseName, UnaryOperator<String> change, Reason reason, String message) {
    String note = change.apply(PETER_NOTE);
    assertThat(note).isNotEqualTo(PETER_NOTE);

    assertRefused(note, PETER, reason, message);
  }

  @Test
  void refusesANoteSignedOnlyByAnotherKey() {
    assertRefused(
        PETER_NOTE,
        ENOCH,
        Reason.UNKNOWN_KEY,
        "note has no signature by EnochRoot+af0cfe78 (found PeterNeumann+c74f20a3; signatures by"
            + " other keys are ignored)");
  }

  @Test
  void refusesInvalidUtf8() {
    byte[] note = PETER_NOTE.getBytes(UTF_8);
    note[3] = (byte) 0xc3; // "If " -> a lone lead byte

    assertThatThrownBy(() -> PETER.open(note))
        .isInstanceOf(NoteVerificationException.class)
        .hasMessage(
            "note is not valid UTF-8 (signed-note §Format: signed notes MUST be valid UTF-8)");
  }

  @Test
  void acceptsUpToAHundredSignatures() throws Exception {
    List<NoteSigner> witnesses = new ArrayList<>();
    for (int i = 0; i < 99; i++) {
      witnesses.add(NoteSigner.generate("witness-" + i));
    }
    StringBuilder note = new StringBuilder(PETER_NOTE);
    for (NoteSigner witness : witnesses) {
      note.append(witness.signatureLine(TEXT)).append('\n');
    }

    assertThat(PETER.open(note.toString()).otherSignatures()).hasSize(99);
    assertThat(witnesses.get(42).verifier().open(note.toString()).signature().keyName())
        .isEqualTo("witness-42");
  }

  // --- verifier keys ------------------------------------------------------------------------

  /** Go's TestNewVerifier: every proper substring and every single-byte change is refused. */
  @Test
  void refusesEveryManglingOfTheGoVerifierKey() {
    List<String> accepted = new ArrayList<>();
    String key = PETER_VKEY;
    for (int i = 0; i <= key.length(); i++) {
      for (int j = i + 1; j <= key.length(); j++) {
        if (i != 0 || j != key.length()) {
          tryParse(key.substring(i, j), accepted);
        }
      }
    }
    char[] chars = key.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      chars[i]++;
      tryParse(new String(chars), accepted);
      chars[i]--;
    }
    tryParse(BAD_KEY_LENGTH, accepted);
    tryParse(BAD_KEY_ALGORITHM, accepted);
    assertThat(accepted).isEmpty();
  }

  private static void tryParse(String verifierKey, List<String> accepted) {
    try {
      NoteVerifier.parse(verifierKey);
      accepted.add(verifierKey);
    } catch (IllegalArgumentException expected) {
      // refused, as it should be
    }
  }

  static Stream<Arguments> badVerifierKeys() {
    return Stream.of(
        Arguments.of("PeterNeumann", "has fewer than three parts"),
        Arguments.of("PeterNeumann+c74f20a3", "has fewer than three parts"),
        Arguments.of(
            "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name \"\" is empty"),
        Arguments.of(
            "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "key hash \"c74f20a\" is not 8 hex digits"),
        Arguments.of(
            "PeterNeumann+c74f20g3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "key hash \"c74f20g3\" is not 8 hex digits"),
        Arguments.of(
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "key hash c74f20a4 does not match name and key (they hash to c74f20a3"),
        Arguments.of(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW",
            "is not canonical base64"),
        Arguments.of(BAD_KEY_LENGTH, "is not canonical base64"),
        Arguments.of(
            BAD_KEY_ALGORITHM,
            "unknown algorithm 0x65 (expected 0x01, Ed25519; signed-note §Signature types)"),
        Arguments.of(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy",
            "Ed25519 key data is 29 bytes (expected 32)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badVerifierKeys")
  void verifierKeyErrorsSayWhatIsWrong(String key, String message) {
    assertThatThrownBy(() -> NoteVerifier.parse(key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("verifier key \"")
        .hasMessageContaining(message);
  }

  @Test
  void acceptsUpperCaseHexAsGoDoes() {
    assertThat(NoteVerifier.parse(PETER_VKEY.replace("c74f20a3", "C74F20A3")).verifierKey())
        .isEqualTo(PETER_VKEY);
  }

  // --- helpers ------------------------------------------------------------------------------

  private static void assertRefused(
      String note, NoteVerifier verifier, Reason reason, String message) {
    assertThatThrownBy(() -> verifier.open(note))
        .isInstanceOf(NoteVerificationException.class)
        .hasMessageContaining(message)
        .extracting(e -> ((NoteVerificationException) e).reason())
        .isEqualTo(reason);
  }

  private static Arguments tamper(
      String name, UnaryOperator<String> change, Reason reason, String message) {
    return Arguments.of(name, change, reason, message);
  }

  /** The note with byte {@code index} of the decoded signature (key ID included) flipped. */
  private static String withSignatureByte(String note, int index) {
    return rewriteSignature(
        note,
        raw -> {
          raw[index] ^= 0x10;
          return raw;
        });
  }

  private static String withSignatureLength(String note, int signatureLength) {
    return rewriteSignature(note, raw -> java.util.Arrays.copyOf(raw, 4 + signatureLength));
  }

  private static String rewriteSignature(String note, UnaryOperator<byte[]> change) {
    String sig = PETER_SIG.substring("— PeterNeumann ".length(), PETER_SIG.length() - 1);
    byte[] raw = Base64.getDecoder().decode(sig);
    String changed = Base64.getEncoder().encodeToString(change.apply(raw));
    String base = note.startsWith(TEXT) ? note : TEXT + "\n" + note;
    return base.replace(sig, changed);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }
}
