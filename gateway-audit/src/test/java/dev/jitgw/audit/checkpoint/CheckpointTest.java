package dev.jitgw.audit.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Checkpoint}: the note text of c2sp.org/tlog-checkpoint. */
class CheckpointTest {

  private static final String ROOT = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
  private static final byte[] ROOT_BYTES = Base64.getDecoder().decode(ROOT);

  /** The example of tlog-checkpoint, minus its signature. */
  private static final String SPEC_EXAMPLE =
      "example.com/behind-the-sofa\n20852163\n" + ROOT + "\n";

  @Test
  void writesTheSpecExample() {
    Checkpoint checkpoint = new Checkpoint("example.com/behind-the-sofa", 20852163, ROOT_BYTES);

    assertThat(checkpoint.body()).isEqualTo(SPEC_EXAMPLE);
    assertThat(Checkpoint.parse(SPEC_EXAMPLE)).isEqualTo(checkpoint);
  }

  @Test
  void roundTripsExtensionLinesAndTheEmptyTree() {
    Checkpoint checkpoint =
        new Checkpoint("jitgw.example/audit", 0, new byte[32], List.of("ext one", "— two"));

    assertThat(checkpoint.body())
        .isEqualTo(
            "jitgw.example/audit\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next one\n— two\n");
    Checkpoint parsed = Checkpoint.parse(checkpoint.body());
    assertThat(parsed).isEqualTo(checkpoint).hasSameHashCodeAs(checkpoint);
    assertThat(parsed.extensions()).containsExactly("ext one", "— two");
  }

  @Test
  void parsesTheLargestSize() {
    String body = "o\n" + Long.MAX_VALUE + "\n" + ROOT + "\n";

    assertThat(Checkpoint.parse(body).size()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void rootHashIsCopiedInAndOut() {
    byte[] root = ROOT_BYTES.clone();
    Checkpoint checkpoint = new Checkpoint("o", 1, root);
    root[0] ^= 1;
    checkpoint.rootHash()[1] ^= 1;

    assertThat(checkpoint.rootHash()).isEqualTo(ROOT_BYTES);
    assertThat(checkpoint.toString())
        .isEqualTo("Checkpoint[origin=o, size=1, rootHash=" + ROOT + "]");
  }

  static Stream<Arguments> badBodies() {
    String tail = "\n" + ROOT + "\n";
    return Stream.of(
        Arguments.of("empty", "", "checkpoint is empty"),
        Arguments.of(
            "no final newline",
            "o\n1\n" + ROOT,
            "does not end with a newline (expected every line to end in U+000A"),
        Arguments.of(
            "two lines",
            "o\n1\n",
            "has 2 lines (expected at least 3: origin, tree size, root hash;"),
        Arguments.of("empty origin", "\n1" + tail, "checkpoint line 1 is empty"),
        Arguments.of("empty size", "o\n" + tail, "checkpoint line 2 is empty"),
        Arguments.of("empty root", "o\n1\n\n", "checkpoint line 3 is empty"),
        Arguments.of(
            "empty extension line", "o\n1" + tail + "\next\n", "checkpoint line 4 is empty"),
        Arguments.of(
            "blank line after the body", "o\n1" + tail + "\n", "checkpoint line 4 is empty"),
        Arguments.of("leading zero", "o\n01" + tail, "tree size \"01\" has a leading zero"),
        Arguments.of("zeros", "o\n00" + tail, "tree size \"00\" has a leading zero"),
        Arguments.of("negative", "o\n-1" + tail, "tree size \"-1\" is not a decimal number"),
        Arguments.of("plus sign", "o\n+1" + tail, "tree size \"+1\" is not a decimal number"),
        Arguments.of("space", "o\n 1" + tail, "tree size \" 1\" is not a decimal number"),
        Arguments.of("fraction", "o\n1.0" + tail, "tree size \"1.0\" is not a decimal number"),
        Arguments.of("hex", "o\n0x10" + tail, "tree size \"0x10\" is not a decimal number"),
        Arguments.of("Arabic-Indic digits", "o\n\u0661\u0662" + tail, "is not a decimal number"),
        Arguments.of(
            "2^63",
            "o\n9223372036854775808" + tail,
            "tree size \"9223372036854775808\" exceeds 9223372036854775807"),
        Arguments.of(
            "root not base64",
            "o\n1\nnot base64!\n",
            "root hash \"not base64!\" is not canonical base64"),
        Arguments.of(
            "root unpadded",
            "o\n1\n" + ROOT.substring(0, ROOT.length() - 1) + "\n",
            "is not canonical base64"),
        Arguments.of(
            "root in URL-safe base64",
            "o\n1\n" + ROOT.replace('/', '_') + "\n",
            "is not canonical base64"),
        Arguments.of(
            "root with stray bits",
            "o\n1\n" + ROOT.substring(0, ROOT.length() - 2) + "J=\n",
            "is not canonical base64"),
        Arguments.of(
            "root of 31 bytes",
            "o\n1\n" + Base64.getEncoder().encodeToString(new byte[31]) + "\n",
            "is 31 bytes (expected 32, SHA-256;"),
        Arguments.of(
            "root of 48 bytes",
            "o\n1\n" + Base64.getEncoder().encodeToString(new byte[48]) + "\n",
            "is 48 bytes (expected 32, SHA-256;"),
        Arguments.of(
            "CRLF",
            "o\r\n1\r\n" + ROOT + "\r\n",
            "checkpoint contains control character U+000D at offset 1"),
        Arguments.of("tab in origin", "o\tx\n1" + tail, "control character U+0009"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badBodies")
  void refusesMalformedBodies(String caseName, String body, String message) {
    assertThatThrownBy(() -> Checkpoint.parse(body))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void constructorRefusesWhatCouldNotBeWritten() {
    assertThatThrownBy(() -> new Checkpoint("", 1, ROOT_BYTES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("checkpoint origin is empty");
    assertThatThrownBy(() -> new Checkpoint("a\nb", 1, ROOT_BYTES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("checkpoint origin \"a\\nb\" contains a newline");
    assertThatThrownBy(() -> new Checkpoint("o", -1, ROOT_BYTES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tree size -1 is negative (expected the number of leaves, 0 or more)");
    assertThatThrownBy(() -> new Checkpoint("o", 1, Arrays.copyOf(ROOT_BYTES, 20)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("root hash is 20 bytes (expected 32, SHA-256)");
    assertThatThrownBy(() -> new Checkpoint("o", 1, ROOT_BYTES, List.of("")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("checkpoint extension line 1 is empty");
    assertThatThrownBy(() -> new Checkpoint(null, 1, ROOT_BYTES))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("origin");
  }
}
