package dev.jitgw.audit.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jitgw.audit.tree.CompactRange;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ExportPrefix}: prefix.json. */
class ExportPrefixTest {

  private static final TestLog LOG = TestLog.ofExchanges(2);
  private static final String H0 = Base64.getEncoder().encodeToString(LOG.range(4).root());
  private static final String H1 = Base64.getEncoder().encodeToString(LOG.root(1));

  @Test
  void writesTheDocumentedJson() {
    CompactRange range = LOG.range(6);
    List<byte[]> hashes = range.hashes();

    assertThat(ExportPrefix.of(range).toJson())
        .isEqualTo(
            "{\"size\":6,\"hashes\":[\""
                + Base64.getEncoder().encodeToString(hashes.get(0))
                + "\",\""
                + Base64.getEncoder().encodeToString(hashes.get(1))
                + "\"]}\n");
  }

  @Test
  void readsWhatItWrites() throws MalformedExportException {
    ExportPrefix prefix = ExportPrefix.of(LOG.range(7));

    ExportPrefix read = ExportPrefix.parse(prefix.toJson());

    assertThat(read).isEqualTo(prefix);
    assertThat(read.toCompactRange().root()).isEqualTo(LOG.root(7));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          not JSON                   | {size                                    | prefix.json is not JSON
          an array                   | []                                       | prefix.json is not a JSON object
          trailing content           | {"size":0,"hashes":[]} {}                | prefix.json is not JSON
          too few hashes             | {"size":5,"hashes":["H0"]}               | has 1 hashes for size 5 (expected 2
          too many hashes            | {"size":4,"hashes":["H0","H1"]}          | has 2 hashes for size 4 (expected 1
          a negative size            | {"size":-4,"hashes":["H0"]}              | size -4 is not an integer 0 or more
          a fractional size          | {"size":4.0,"hashes":["H0"]}             | size 4.0 is not an integer 0 or more
          a missing size             | {"hashes":[]}                            | size null is not an integer 0 or more
          hashes not a list          | {"size":4,"hashes":"H0"}                 | is not an array
          a short hash               | {"size":4,"hashes":["AAAA"]}             | hashes[0] "AAAA" is not a hash
          unpadded base64            | {"size":4,"hashes":["H0-unpadded"]}      | hashes[0]
          a number for a hash        | {"size":4,"hashes":[7]}                  | hashes[0] 7 is not a hash
          an unknown key             | {"size":4,"hashes":["H0"],"from":4}      | has the unknown key "from"
          a duplicate key            | {"size":4,"size":4,"hashes":["H0"]}      | Duplicate field 'size'
          """)
  void refusesWhatIsNotACompactRange(String name, String json, String message) {
    String filled =
        json.replace("H0-unpadded", H0.replace("=", ""))
            .replace("\"H0\"", "\"" + H0 + "\"")
            .replace("\"H1\"", "\"" + H1 + "\"");

    assertThatThrownBy(() -> ExportPrefix.parse(filled))
        .isInstanceOf(MalformedExportException.class)
        .hasMessageContaining(message);
  }

  @Test
  void theHashCountMustMatchTheSize() {
    assertThatThrownBy(() -> new ExportPrefix(3, List.of(LOG.root(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hashes.size(): 1 (expected: 2");
  }

  @Test
  void hashesAreCopiedInAndOut() {
    byte[] hash = LOG.root(4);
    ExportPrefix prefix = new ExportPrefix(4, List.of(hash));

    hash[0] ^= 1;
    prefix.hashes().get(0)[1] ^= 1;

    assertThat(prefix.hashes().get(0)).isEqualTo(LOG.root(4));
  }
}
