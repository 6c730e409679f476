package dev.jitgw.audit.checkpoint;

import static dev.jitgw.audit.checkpoint.ReferenceVectors.ENOCH_SIG;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.PETER_NOTE;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.PETER_SKEY;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.PETER_VKEY;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link NoteSigner}: keys and signatures as golang.org/x/mod/sumdb/note makes them. */
class NoteSignerTest {

  @Test
  void signsTheGoReferenceNoteByteForByte() {
    NoteSigner signer = NoteSigner.parse(PETER_SKEY);

    // Ed25519 is deterministic: the same key over the same text gives Go's exact note.
    assertThat(signer.sign(TEXT)).isEqualTo(PETER_NOTE);
    assertThat(signer.name()).isEqualTo("PeterNeumann");
    assertThat(signer.keyHash()).isEqualTo(0xc74f20a3);
    assertThat(signer.keyId()).isEqualTo("PeterNeumann+c74f20a3");
  }

  @Test
  void derivesTheGoVerifierKeyAndReencodesThePrivateKey() {
    NoteSigner signer = NoteSigner.parse(PETER_SKEY);

    assertThat(signer.verifierKey()).isEqualTo(PETER_VKEY);
    assertThat(signer.verifier()).isEqualTo(NoteVerifier.parse(PETER_VKEY));
    assertThat(signer.privateKey()).isEqualTo(PETER_SKEY);
  }

  /** Key pairs of transparency-dev/formats, all made by Go's note.GenerateKey. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    ReferenceVectors.LOG_SK + "," + ReferenceVectors.LOG_VK,
    ReferenceVectors.KNOWN1_SK + "," + ReferenceVectors.KNOWN1_VK,
    ReferenceVectors.KNOWN2_SK + "," + ReferenceVectors.KNOWN2_VK,
    ReferenceVectors.UNKNOWN_SK + "," + ReferenceVectors.UNKNOWN_VK,
  })
  void derivesGoVerifierKeysFromGoPrivateKeys(String privateKey, String verifierKey) {
    NoteSigner signer = NoteSigner.parse(privateKey);

    assertThat(signer.verifierKey()).isEqualTo(verifierKey);
    assertThat(signer.privateKey()).isEqualTo(privateKey);
  }

  @Test
  void generatedKeysRoundTripThroughTheirStrings() throws Exception {
    NoteSigner signer = NoteSigner.generate("audit.example/log");
    NoteSigner reloaded = NoteSigner.parse(signer.privateKey());

    assertThat(reloaded.verifierKey()).isEqualTo(signer.verifierKey());
    assertThat(signer.privateKey())
        .matches("PRIVATE\\+KEY\\+audit\\.example/log\\+[0-9a-f]{8}\\+.{44}");
    assertThat(signer.verifierKey()).matches("audit\\.example/log\\+[0-9a-f]{8}\\+.{44}");
    assertThat(signer.verifierKey()).startsWith(signer.keyId() + "+A"); // 0x01 encodes as 'A'

    String note = signer.sign("hello\n");
    assertThat(reloaded.sign("hello\n")).isEqualTo(note);
    NoteVerifier.Verified verified = NoteVerifier.parse(signer.verifierKey()).open(note);
    assertThat(verified.text()).isEqualTo("hello\n");
    assertThat(verified.signature().keyId()).isEqualTo(signer.keyId());
    assertThat(verified.otherSignatures()).isEmpty();
  }

  @Test
  void twoGeneratedKeysDiffer() {
    assertThat(NoteSigner.generate("a").verifierKey())
        .isNotEqualTo(NoteSigner.generate("a").verifierKey());
  }

  @Test
  void keyNamesMayBeAnyUtf8WithoutSpacesOrPlus() throws Exception {
    NoteSigner signer = NoteSigner.generate("Señor-0/日本");

    NoteSigner reloaded = NoteSigner.parse(signer.privateKey());
    assertThat(reloaded.name()).isEqualTo("Señor-0/日本");
    assertThat(NoteVerifier.parse(signer.verifierKey()).open(signer.sign("x\n")).text())
        .isEqualTo("x\n");
  }

  @Test
  void fromSeedIsTheSameKeyAsTheEncodedForm() {
    NoteSigner signer = NoteSigner.generate("seeded");
    byte[] seed = java.util.Base64.getDecoder().decode(signer.privateKey().split("\\+", 5)[4]);
    byte[] raw = java.util.Arrays.copyOfRange(seed, 1, 33);

    assertThat(NoteSigner.fromSeed("seeded", raw).verifierKey()).isEqualTo(signer.verifierKey());
    assertThatThrownBy(() -> NoteSigner.fromSeed("seeded", new byte[31]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Ed25519 seed is 31 bytes (expected 32)");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "a b", "a+b", "tab\there", "nbsp\u00a0", "ideographic\u3000space"})
  void refusesInvalidKeyNames(String name) {
    assertThatThrownBy(() -> NoteSigner.generate(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("key name ")
        .hasMessageContaining("signed-note §Format");
  }

  @Test
  void signRefusesTextThatIsNotANoteText() {
    NoteSigner signer = NoteSigner.parse(PETER_SKEY);

    assertThatThrownBy(() -> signer.sign("abc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "note text \"abc\" does not end with a newline (signed-note §Format: the text ends in"
                + " U+000A)");
    assertThatThrownBy(() -> signer.sign("a\r\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("control character U+000D at offset 1");
    assertThatThrownBy(() -> signer.sign("bad \ud800 surrogate\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate U+D800");
  }

  @Test
  void textMayContainBlankLinesAndStillOpens() throws Exception {
    NoteSigner signer = NoteSigner.generate("poet");
    String text = "Ognuno sta solo sul cuor della terra\n\ned è subito sera.\n\n";

    NoteVerifier.Verified verified = signer.verifier().open(signer.sign(text));

    assertThat(verified.text()).isEqualTo(text);
  }

  @Test
  void toStringNamesTheKeyButNeverShowsIt() {
    NoteSigner signer = NoteSigner.parse(PETER_SKEY);

    assertThat(signer).hasToString("NoteSigner[PeterNeumann+c74f20a3]");
    assertThat(signer.toString()).doesNotContain("AYEK");
  }

  /** Go's TestNewSigner: every proper substring and every single-byte change is refused. */
  @Test
  void refusesEveryManglingOfTheGoPrivateKey() {
    List<String> accepted = new ArrayList<>();
    String key = PETER_SKEY;
    for (int i = 0; i <= key.length(); i++) {
      for (int j = i + 1; j <= key.length(); j++) {
        if (i == 0 && j == key.length()) {
          continue;
        }
        tryParse(key.substring(i, j), accepted);
      }
    }
    char[] chars = key.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      chars[i]++;
      tryParse(new String(chars), accepted);
      chars[i]--;
    }
    assertThat(accepted).isEmpty();
  }

  private static void tryParse(String privateKey, List<String> accepted) {
    try {
      NoteSigner.parse(privateKey);
      accepted.add(privateKey);
    } catch (IllegalArgumentException expected) {
      // refused, as it should be
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          no prefix        | PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz         | does not start with PRIVATE+KEY+
          no hash          | PRIVATE+KEY+PeterNeumann                                                    | no <name>+<hash>+<keydata>
          short hash       | PRIVATE+KEY+PeterNeumann+c74f20a+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz | key hash "c74f20a" is not 8 hex digits
          wrong hash       | PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz | key hash c74f20a4 does not match the key (its public key hashes to c74f20a3
          wrong name       | PRIVATE+KEY+PeterNeuman+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz | key hash c74f20a3 does not match the key
          unpadded base64  | PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKD | key data is not canonical base64 (the value is not shown)
          unknown alg      | PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz | unknown algorithm 0x02 (expected 0x01, Ed25519)
          short seed       | PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXH | Ed25519 key data is 29 bytes (expected 32)
          """)
  void privateKeyErrorsSayWhatIsWrongWithoutTheKey(String caseName, String key, String message) {
    assertThatThrownBy(() -> NoteSigner.parse(key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("AYEKFALV"));
  }

  @Test
  void signedNotesCanCarryOtherSignaturesToo() throws Exception {
    // A note as Go prints it after EnochRoot re-signs Peter's note (note.go's package doc).
    String both = PETER_NOTE + ENOCH_SIG;

    NoteVerifier.Verified verified = NoteVerifier.parse(PETER_VKEY).open(both);

    assertThat(verified.text()).isEqualTo(TEXT);
    assertThat(verified.otherSignatures())
        .extracting(NoteSignature::keyId)
        .containsExactly("EnochRoot+af0cfe78");
  }
}
