package dev.jitgw.audit.export;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.audit.checkpoint.Checkpoint;
import dev.jitgw.audit.checkpoint.NoteSigner;
import dev.jitgw.audit.checkpoint.SignedCheckpoint;
import dev.jitgw.audit.export.VerifyResult.Check;
import dev.jitgw.audit.export.VerifyResult.Failed;
import dev.jitgw.audit.export.VerifyResult.Kind;
import dev.jitgw.audit.export.VerifyResult.Verified;
import dev.jitgw.audit.tree.MerkleHash;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ExportVerifier}: the checks of docs/audit.md §Verify, one tampering at a time. */
class ExportVerifierTest {

  /** Ten records, seq 0 to 9 on lines 1 to 10. */
  private final TestLog log = TestLog.ofExchanges(2);

  @TempDir Path dir;
  @TempDir Path elsewhere;

  @Test
  void verifiesAnUntouchedExport() throws IOException {
    log.export(dir);

    VerifyResult result = ExportVerifier.verify(dir, Optional.empty());

    assertThat(result).isEqualTo(new Verified(10, 10, log.root(10)));
    Verified verified = (Verified) result;
    assertThat(verified.rootHex()).isEqualTo(HexFormat.of().formatHex(log.root(10)));
    assertThat(verified.rootBase64()).isEqualTo(Base64.getEncoder().encodeToString(log.root(10)));
    assertThat(result.exitCode()).isZero();
    assertThat(result.message())
        .isEqualTo(
            "verified: 10 records, tree size 10, root "
                + verified.rootHex()
                + " ("
                + verified.rootBase64()
                + ")");
  }

  @Test
  void verifiesAnEmptyExport() throws IOException {
    new TestLog().export(dir);

    assertThat(ExportVerifier.verify(dir, Optional.empty()))
        .isEqualTo(new Verified(0, 0, MerkleHash.emptyRoot()));
  }

  /** One way to tamper with the export of {@link #log} in {@code dir}. */
  @FunctionalInterface
  interface Tampering {
    void apply(Path dir, TestLog log) throws IOException;
  }

  static Stream<Arguments> tamperings() {
    return Stream.of(
        row(
            "edit a middle record",
            (dir, log) -> editLine(dir, 5),
            Check.CHAIN,
            Kind.EDITED,
            5L,
            4L,
            "record edited: line 5 (seq 4) was edited"),
        row(
            "edit the last record",
            (dir, log) -> editLine(dir, 10),
            Check.ROOT,
            Kind.EDITED,
            10L,
            9L,
            "the last record, line 10 (seq 9), was edited"),
        row(
            "drop a record",
            (dir, log) -> changeLines(dir, lines -> lines.remove(4)),
            Check.SEQUENCE,
            Kind.SEQ_MISMATCH,
            5L,
            5L,
            "records dropped, inserted or reordered: line 5 has seq 5 (expected 4)"),
        row(
            "insert a record that chains to the one before",
            (dir, log) ->
                changeLines(dir, lines -> lines.add(4, forged(4, lines.get(3), "request"))),
            Check.SEQUENCE,
            Kind.SEQ_MISMATCH,
            6L,
            4L,
            "records dropped, inserted or reordered: line 6 has seq 4 (expected 5)"),
        row(
            "swap two records",
            (dir, log) -> changeLines(dir, lines -> lines.add(2, lines.remove(3))),
            Check.SEQUENCE,
            Kind.SEQ_MISMATCH,
            3L,
            3L,
            "line 3 has seq 3 (expected 2)"),
        row(
            "truncate the last 3 records",
            (dir, log) -> changeLines(dir, lines -> lines.subList(7, 10).clear()),
            Check.SIZE,
            Kind.TRUNCATED,
            null,
            7L,
            "records truncated: records.jsonl ends at line 7 (seq 6) but the checkpoint's tree has"
                + " 10 records"),
        row(
            "append an extra record that chains to the last",
            (dir, log) -> changeLines(dir, lines -> lines.add(forged(10, lines.get(9), "request"))),
            Check.SIZE,
            Kind.EXTRA_RECORDS,
            11L,
            10L,
            "extra records: line 11 (seq 10) is beyond the checkpoint's tree size 10"),
        row(
            "checkpoint signed with a different key of the same name",
            (dir, log) ->
                write(dir, "checkpoint", signedBy(NoteSigner.generate(TestLog.ORIGIN), log, 10)),
            Check.SIGNATURE,
            Kind.WRONG_KEY,
            null,
            null,
            "checkpoint: wrong key: not signed by the key in verifier.key"),
        row(
            "verifier.key replaced with another key",
            (dir, log) ->
                write(dir, "verifier.key", NoteSigner.generate(TestLog.ORIGIN).verifierKey()),
            Check.SIGNATURE,
            Kind.WRONG_KEY,
            null,
            null,
            "checkpoint: wrong key"),
        row(
            "checkpoint missing",
            (dir, log) -> Files.delete(dir.resolve("checkpoint")),
            Check.SIGNATURE,
            Kind.MISSING_FILE,
            null,
            null,
            "missing file: checkpoint"),
        row(
            "verifier.key missing",
            (dir, log) -> Files.delete(dir.resolve("verifier.key")),
            Check.SIGNATURE,
            Kind.MISSING_FILE,
            null,
            null,
            "missing file: verifier.key"),
        row(
            "verifier.key garbled",
            (dir, log) -> write(dir, "verifier.key", "not a key\n"),
            Check.SIGNATURE,
            Kind.MALFORMED_KEY,
            null,
            null,
            "verifier.key is not a verifier key"),
        row(
            "signature garbled",
            (dir, log) -> write(dir, "checkpoint", garbleSignature(log.checkpoint(10))),
            Check.SIGNATURE,
            Kind.BAD_SIGNATURE,
            null,
            null,
            "checkpoint: bad signature"),
        row(
            "signature removed",
            (dir, log) ->
                write(dir, "checkpoint", new Checkpoint(TestLog.ORIGIN, 10, log.root(10)).body()),
            Check.SIGNATURE,
            Kind.MISSING_SIGNATURE,
            null,
            null,
            "checkpoint: missing signature"),
        row(
            "checkpoint of another origin, signed by the key",
            (dir, log) ->
                write(
                    dir,
                    "checkpoint",
                    log.signer()
                        .sign(new Checkpoint("other.example/log", 10, log.root(10)).body())),
            Check.SIGNATURE,
            Kind.ORIGIN_MISMATCH,
            null,
            null,
            "checkpoint: origin mismatch"),
        row(
            "checkpoint signed by the key over another root",
            (dir, log) ->
                write(
                    dir,
                    "checkpoint",
                    SignedCheckpoint.sign(
                        new Checkpoint(TestLog.ORIGIN, 10, log.root(9)), log.signer())),
            Check.ROOT,
            Kind.EDITED,
            10L,
            9L,
            "the last record, line 10 (seq 9), was edited"),
        row(
            "records.jsonl missing",
            (dir, log) -> Files.delete(dir.resolve("records.jsonl")),
            Check.SEQUENCE,
            Kind.MISSING_FILE,
            null,
            null,
            "missing file: records.jsonl"),
        row(
            "a line that is not JSON",
            (dir, log) -> changeLines(dir, lines -> lines.set(4, "not json".getBytes(UTF_8))),
            Check.SEQUENCE,
            Kind.NOT_A_RECORD,
            5L,
            null,
            "line 5 of records.jsonl is not a JSON object"),
        row(
            "a line that is a JSON array",
            (dir, log) -> changeLines(dir, lines -> lines.set(4, "[4]".getBytes(UTF_8))),
            Check.SEQUENCE,
            Kind.NOT_A_RECORD,
            5L,
            null,
            "line 5 of records.jsonl is not a JSON object"),
        row(
            "an empty line",
            (dir, log) -> changeLines(dir, lines -> lines.add(4, new byte[0])),
            Check.SEQUENCE,
            Kind.NOT_A_RECORD,
            5L,
            null,
            "line 5 of records.jsonl is empty"),
        row(
            "a record with two seq keys",
            (dir, log) ->
                changeLines(
                    dir,
                    lines ->
                        lines.set(
                            4,
                            TestLog.utf8(lines.get(4))
                                .replaceFirst("^\\{\"seq\":4,", "{\"seq\":4,\"seq\":4,")
                                .getBytes(UTF_8))),
            Check.SEQUENCE,
            Kind.NOT_A_RECORD,
            5L,
            null,
            "Duplicate field 'seq'"),
        row(
            "the last newline removed",
            (dir, log) -> cutBytes(dir, 1),
            Check.SEQUENCE,
            Kind.TRUNCATED_LINE,
            10L,
            null,
            "records.jsonl line 10: truncated last line"),
        row(
            "the last record cut in half",
            (dir, log) -> cutBytes(dir, 40),
            Check.SEQUENCE,
            Kind.TRUNCATED_LINE,
            10L,
            null,
            "truncated last line"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tamperings")
  void namesTheFirstFailure(
      String name,
      Tampering tampering,
      Check check,
      Kind kind,
      Long line,
      Long seq,
      String messagePart)
      throws IOException {
    log.export(dir);
    tampering.apply(dir, log);

    VerifyResult result = ExportVerifier.verify(dir, Optional.empty());

    assertThat(result.ok()).as(name).isFalse();
    assertThat(result.exitCode()).isEqualTo(1);
    Failed failed = (Failed) result;
    assertThat(failed.check()).as(failed.message()).isEqualTo(check);
    assertThat(failed.kind()).as(failed.message()).isEqualTo(kind);
    assertThat(failed.line()).as(failed.message()).isEqualTo(optional(line));
    assertThat(failed.seq()).as(failed.message()).isEqualTo(optional(seq));
    assertThat(failed.message()).contains(messagePart);
  }

  @Test
  void aDroppedRecordLaterInTheFileIsNamedBeforeAnEarlierBrokenLink() throws IOException {
    log.export(dir);
    editLine(dir, 3);
    changeLines(dir, lines -> lines.remove(7));

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.empty());

    assertThat(failed.kind()).isEqualTo(Kind.SEQ_MISMATCH);
    assertThat(failed.line()).hasValue(8);
    assertThat(failed.seq()).hasValue(8);
  }

  @Test
  void theSignatureIsCheckedBeforeTheRecords() throws IOException {
    log.export(dir);
    changeLines(dir, lines -> lines.remove(4));
    write(dir, "checkpoint", garbleSignature(log.checkpoint(10)));

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.empty());

    assertThat(failed.check()).isEqualTo(Check.SIGNATURE);
    assertThat(failed.kind()).isEqualTo(Kind.BAD_SIGNATURE);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 4, 6, 7, 9, 10})
  void anExportThatStartsAfterSeqZeroVerifiesWithItsPrefix(int from) throws IOException {
    log.export(dir, from, 10);

    assertThat(Files.exists(dir.resolve("prefix.json"))).isTrue();
    assertThat(ExportVerifier.verify(dir, Optional.empty()))
        .isEqualTo(new Verified(10 - from, 10, log.root(10)));
  }

  @Test
  void anExportThatEndsBeforeTheLastRecordVerifiesAgainstItsOwnCheckpoint() throws IOException {
    log.export(dir, 3, 7);

    assertThat(ExportVerifier.verify(dir, Optional.empty()))
        .isEqualTo(new Verified(4, 7, log.root(7)));
  }

  @Test
  void aCorruptedPrefixHashIsCaughtAtTheRoot() throws IOException {
    log.export(dir, 6, 10);
    List<byte[]> hashes = log.range(6).hashes();
    hashes.get(1)[0] ^= 1;
    write(dir, "prefix.json", new ExportPrefix(6, hashes).toJson());

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.empty());

    assertThat(failed.check()).isEqualTo(Check.ROOT);
    assertThat(failed.kind()).isEqualTo(Kind.EDITED);
    assertThat(failed.line()).hasValue(4);
    assertThat(failed.seq()).hasValue(9);
    assertThat(failed.message()).contains("or a hash in prefix.json");
  }

  @Test
  void aPrefixWithTheWrongNumberOfHashesIsMalformed() throws IOException {
    log.export(dir, 6, 10);
    write(
        dir,
        "prefix.json",
        "{\"size\":6,\"hashes\":[\"" + Base64.getEncoder().encodeToString(log.root(6)) + "\"]}\n");

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.empty());

    assertThat(failed.check()).isEqualTo(Check.PREFIX);
    assertThat(failed.kind()).isEqualTo(Kind.MALFORMED_PREFIX);
    assertThat(failed.message())
        .startsWith("prefix malformed: prefix.json has 1 hashes for size 6 (expected 2");
  }

  @Test
  void aMissingPrefixIsNamedAtTheFirstLine() throws IOException {
    log.export(dir, 4, 10);
    Files.delete(dir.resolve("prefix.json"));

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.empty());

    assertThat(failed.kind()).isEqualTo(Kind.SEQ_MISMATCH);
    assertThat(failed.line()).hasValue(1);
    assertThat(failed.seq()).hasValue(4);
    assertThat(failed.message())
        .contains("line 1 has seq 4 (expected 0; an export that starts after seq 0 carries")
        .contains("prefix.json");
  }

  @Test
  void anEditOfTheFirstExportedRecordShowsInTheSecondsPrev() throws IOException {
    // Line 1's prev names seq 3, which is not in the export, so it is compared with nothing; but
    // the line is hashed like any other, and line 2 chains to that hash.
    log.export(dir, 4, 10);
    changeLines(
        dir,
        lines ->
            lines.set(
                0,
                TestLog.utf8(lines.get(0))
                    .replaceFirst(
                        "\"prev\":\"[0-9a-f]{64}\"", "\"prev\":\"" + "0".repeat(64) + "\"")
                    .getBytes(UTF_8)));

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.empty());

    assertThat(failed.check()).isEqualTo(Check.CHAIN);
    assertThat(failed.line()).hasValue(1);
    assertThat(failed.seq()).hasValue(4);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 6, 8, 10})
  void aConsistentEarlierCheckpointPasses(int previousSize) throws IOException {
    log.export(dir);
    Path previous = write(elsewhere, "previous", log.checkpoint(previousSize));

    assertThat(ExportVerifier.verify(dir, Optional.of(previous)))
        .isEqualTo(new Verified(10, 10, log.root(10)));
  }

  @Test
  void anEarlierCheckpointAtThePrefixSizePasses() throws IOException {
    log.export(dir, 4, 10);
    Path previous = write(elsewhere, "previous", log.checkpoint(4));

    assertThat(ExportVerifier.verify(dir, Optional.of(previous)).ok()).isTrue();
  }

  @Test
  void anEarlierCheckpointOverAnotherHistoryIsInconsistent() throws IOException {
    log.export(dir);
    TestLog rewritten = new TestLog(log.signer());
    rewritten.appendExchange("01JREWRITTEN000000000000000");
    rewritten.appendExchange("01JREWRITTEN000000000000001");
    Path previous = write(elsewhere, "previous", rewritten.checkpoint(6));

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.of(previous));

    assertThat(failed.check()).isEqualTo(Check.PREVIOUS);
    assertThat(failed.kind()).isEqualTo(Kind.INCONSISTENT);
    assertThat(failed.message())
        .startsWith("inconsistent with previous checkpoint: its root at tree size 6 is ")
        .contains("records before seq 6 were rewritten since");
  }

  @Test
  void aLargerEarlierCheckpointIsInconsistent() throws IOException {
    log.appendExchange("01JLATER000000000000000000");
    log.export(dir, 0, 10);
    Path previous = write(elsewhere, "previous", log.checkpoint(15));

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.of(previous));

    assertThat(failed.kind()).isEqualTo(Kind.INCONSISTENT);
    assertThat(failed.message()).contains("its tree size 15 is larger than this export's 10");
  }

  @Test
  void anEarlierCheckpointBeforeThePrefixCannotBeChecked() throws IOException {
    log.export(dir, 6, 10);
    Path previous = write(elsewhere, "previous", log.checkpoint(4));

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.of(previous));

    assertThat(failed.check()).isEqualTo(Check.PREVIOUS);
    assertThat(failed.kind()).isEqualTo(Kind.PREVIOUS_NOT_COVERED);
    assertThat(failed.message())
        .startsWith("consistency with the previous checkpoint cannot be checked from this export")
        .contains("expected an export from seq 4 or earlier");
  }

  @Test
  void anEarlierCheckpointByAnotherKeyIsRefused() throws IOException {
    log.export(dir);
    Path previous =
        write(elsewhere, "previous", signedBy(NoteSigner.generate(TestLog.ORIGIN), log, 6));

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.of(previous));

    assertThat(failed.check()).isEqualTo(Check.PREVIOUS);
    assertThat(failed.kind()).isEqualTo(Kind.WRONG_KEY);
    assertThat(failed.message()).startsWith("previous checkpoint " + previous + ": wrong key");
  }

  @Test
  void aMissingEarlierCheckpointIsReportedAfterTheExportsOwnChecks() throws IOException {
    log.export(dir);
    Path missing = elsewhere.resolve("missing");

    Failed failed = (Failed) ExportVerifier.verify(dir, Optional.of(missing));
    assertThat(failed.check()).isEqualTo(Check.PREVIOUS);
    assertThat(failed.kind()).isEqualTo(Kind.MISSING_FILE);

    editLine(dir, 10);
    assertThat(((Failed) ExportVerifier.verify(dir, Optional.of(missing))).check())
        .isEqualTo(Check.ROOT);
  }

  // Tampering tools.

  private static Arguments row(
      String name,
      Tampering tampering,
      Check check,
      Kind kind,
      Long line,
      Long seq,
      String messagePart) {
    return Arguments.of(name, tampering, check, kind, line, seq, messagePart);
  }

  private static OptionalLong optional(Long value) {
    return value == null ? OptionalLong.empty() : OptionalLong.of(value);
  }

  @FunctionalInterface
  interface LinesChange {
    void apply(List<byte[]> lines) throws IOException;
  }

  /** Rewrites records.jsonl after {@code change} edits its lines (without their newlines). */
  static void changeLines(Path dir, LinesChange change) throws IOException {
    byte[] file = Files.readAllBytes(dir.resolve("records.jsonl"));
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < file.length; i++) {
      if (file[i] == '\n') {
        lines.add(Arrays.copyOfRange(file, start, i));
        start = i + 1;
      }
    }
    change.apply(lines);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] line : lines) {
      out.writeBytes(line);
      out.write('\n');
    }
    Files.write(dir.resolve("records.jsonl"), out.toByteArray());
  }

  /** Changes the content of a record, keeping its seq and prev: a key is added. */
  static void editLine(Path dir, int line) throws IOException {
    changeLines(
        dir,
        lines -> {
          ObjectNode record = (ObjectNode) TestLog.JSON.readTree(lines.get(line - 1));
          record.put("note", "tampered");
          lines.set(line - 1, TestLog.JSON.writeValueAsBytes(record));
        });
  }

  /** A record with {@code seq} whose prev is the leaf hash of {@code before}: a careful forgery. */
  static byte[] forged(long seq, byte[] before, String type) {
    return ("{\"seq\":"
            + seq
            + ",\"prev\":\""
            + HexFormat.of().formatHex(MerkleHash.leafHash(before))
            + "\",\"time\":\"2025-01-02T03:04:05.999Z\",\"type\":\""
            + type
            + "\",\"exchange_id\":\"01JFORGED0000000000000000000\"}")
        .getBytes(UTF_8);
  }

  static void cutBytes(Path dir, int count) throws IOException {
    byte[] file = Files.readAllBytes(dir.resolve("records.jsonl"));
    Files.write(dir.resolve("records.jsonl"), Arrays.copyOf(file, file.length - count));
  }

  static Path write(Path dir, String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, UTF_8);
  }

  /** The checkpoint of {@code log}'s first {@code size} records, signed by {@code signer}. */
  static String signedBy(NoteSigner signer, TestLog log, long size) {
    return SignedCheckpoint.sign(new Checkpoint(TestLog.ORIGIN, size, log.root(size)), signer);
  }

  /** Changes one base64 character of the signature, well after its 4-byte key ID. */
  static String garbleSignature(String note) {
    int at = note.lastIndexOf(' ') + 20;
    char replacement = note.charAt(at) == 'A' ? 'B' : 'A';
    return note.substring(0, at) + replacement + note.substring(at + 1);
  }
}
