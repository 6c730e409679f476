package dev.jitgw.audit.export;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ExportDirectory} and {@link RecordLines}: the files of an export, byte-exact. */
class ExportDirectoryTest {

  @TempDir Path dir;

  private final TestLog log = TestLog.ofExchanges(2);

  @Test
  void writesTheFilesOfDocsAuditMd() throws IOException {
    List<byte[]> records = List.of(bytes("{\"seq\":0}"), bytes("{\"seq\":1,\"t\":\"é€😀\"}"));

    ExportDirectory.write(
        dir, records.iterator(), "note\n\n— sig\n", "name+01234567+AQ==", Optional.empty());

    assertThat(Files.readString(dir.resolve("records.jsonl"), UTF_8))
        .isEqualTo("{\"seq\":0}\n{\"seq\":1,\"t\":\"é€😀\"}\n");
    assertThat(Files.readString(dir.resolve("checkpoint"), UTF_8)).isEqualTo("note\n\n— sig\n");
    assertThat(Files.readString(dir.resolve("verifier.key"), UTF_8))
        .isEqualTo("name+01234567+AQ==\n");
    try (Stream<Path> files = Files.list(dir)) {
      // No prefix for an export from seq 0, and no temporary file left behind.
      assertThat(files.map(path -> path.getFileName().toString()))
          .containsExactlyInAnyOrder("records.jsonl", "checkpoint", "verifier.key");
    }
  }

  @Test
  void readsBackWhatWasWritten() throws IOException {
    ExportPrefix prefix = ExportPrefix.of(log.range(4));
    List<byte[]> records = log.records().subList(4, 10);

    ExportDirectory.write(
        dir,
        records.iterator(),
        log.checkpoint(10),
        log.signer().verifierKey(),
        Optional.of(prefix));

    ExportDirectory export = ExportDirectory.at(dir);
    assertThat(readAll(export.openRecords())).containsExactlyElementsOf(records);
    assertThat(export.readCheckpoint()).isEqualTo(log.checkpoint(10));
    assertThat(export.readVerifierKey()).isEqualTo(log.signer().verifierKey());
    assertThat(export.readPrefix()).contains(prefix);
  }

  @Test
  void anExportFromSeqZeroRemovesAStalePrefix() throws IOException {
    log.export(dir, 4, 10);
    assertThat(ExportDirectory.at(dir).readPrefix()).isPresent();

    log.export(dir, 0, 10);

    assertThat(dir.resolve("prefix.json")).doesNotExist();
    assertThat(ExportDirectory.at(dir).readPrefix()).isEmpty();
  }

  @Test
  void aRecordWithANewlineIsRefusedAndNothingIsMovedIntoPlace() {
    List<byte[]> records = List.of(bytes("{\"seq\":0}"), bytes("{\"seq\":1,\n\"a\":1}"));

    assertThatThrownBy(
            () ->
                ExportDirectory.write(
                    dir, records.iterator(), "note\n", "key+00000000+AQ==", Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("records[1] contains a newline (expected: one line; JSON escapes them)");
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void missingFilesAreNoSuchFile() {
    ExportDirectory export = ExportDirectory.at(dir);

    assertThatThrownBy(export::readCheckpoint).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(export::readVerifierKey).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(export::openRecords).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void aCheckpointThatIsNotUtf8IsMalformed() throws IOException {
    Files.write(dir.resolve("checkpoint"), new byte[] {'a', (byte) 0xff, '\n'});

    assertThatThrownBy(ExportDirectory.at(dir)::readCheckpoint)
        .isInstanceOf(MalformedExportException.class)
        .hasMessage("checkpoint is not valid UTF-8");
  }

  @Test
  void linesAreSplitOnNewlineOnlyAndKeptByteExact() throws IOException {
    byte[] file = {'a', '\r', '\n', '\n', (byte) 0xc3, (byte) 0xa9, 0, '\n'};

    List<byte[]> lines = readAll(RecordLines.of(new ByteArrayInputStream(file), "test"));

    assertThat(lines)
        .containsExactly(
            new byte[] {'a', '\r'}, new byte[0], new byte[] {(byte) 0xc3, (byte) 0xa9, 0});
  }

  @Test
  void streamsLinesAcrossBufferBoundaries() throws IOException {
    List<byte[]> records = new ArrayList<>();
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    for (int i = 0; i < 400; i++) {
      byte[] record = bytes("{\"seq\":" + i + ",\"pad\":\"" + "x".repeat(i * 7 % 1500) + "\"}");
      records.add(record);
      file.writeBytes(record);
      file.write('\n');
    }
    assertThat(file.size()).isGreaterThan(3 * 64 * 1024);

    RecordLines lines = RecordLines.of(new ByteArrayInputStream(file.toByteArray()), "test");

    assertThat(readAll(lines)).containsExactlyElementsOf(records);
    assertThat(lines.lineNumber()).isEqualTo(400);
  }

  @Test
  void readsStreamsThatAnswerAFewBytesAtATime() throws IOException {
    List<byte[]> records = log.records();
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    records.forEach(
        record -> {
          file.writeBytes(record);
          file.write('\n');
        });
    InputStream trickle =
        new FilterInputStream(new ByteArrayInputStream(file.toByteArray())) {
          @Override
          public int read(byte[] buffer, int offset, int length) throws IOException {
            return super.read(buffer, offset, Math.min(length, 7));
          }
        };

    assertThat(readAll(RecordLines.of(trickle, "test"))).containsExactlyElementsOf(records);
  }

  @Test
  void aLastLineWithoutNewlineIsATruncatedLastLine() throws IOException {
    RecordLines lines = RecordLines.of(new ByteArrayInputStream(bytes("{}\n{}\n{\"se")), "x.jsonl");
    lines.next();
    lines.next();

    assertThatThrownBy(lines::next)
        .isInstanceOfSatisfying(
            MalformedExportException.class,
            e -> {
              assertThat(e.isTruncatedLine()).isTrue();
              assertThat(e.line()).hasValue(3);
            })
        .hasMessageStartingWith("x.jsonl line 3: truncated last line (4 bytes without");
  }

  @Test
  void anEmptyFileHasNoRecords() throws IOException {
    assertThat(RecordLines.of(new ByteArrayInputStream(new byte[0]), "x").next()).isNull();
  }

  @Test
  void aLineLongerThanARecordCanBeIsRefusedWithoutReadingItAll() throws IOException {
    byte[] file = new byte[RecordLines.MAX_RECORD_BYTES + 2];
    Arrays.fill(file, (byte) 'x');
    file[file.length - 1] = '\n';
    RecordLines lines = RecordLines.of(new ByteArrayInputStream(file), "x.jsonl");

    assertThatThrownBy(lines::next)
        .isInstanceOfSatisfying(
            MalformedExportException.class,
            e -> {
              assertThat(e.isTruncatedLine()).isFalse();
              assertThat(e.line()).hasValue(1);
            })
        .hasMessage(
            "x.jsonl line 1 is longer than 65536 bytes (expected a record of at most 64 KiB per line)");
  }

  @Test
  void aRecordOfExactlyTheLimitIsRead() throws IOException {
    byte[] file = new byte[RecordLines.MAX_RECORD_BYTES + 1];
    Arrays.fill(file, (byte) 'x');
    file[file.length - 1] = '\n';

    assertThat(RecordLines.of(new ByteArrayInputStream(file), "x").next())
        .hasSize(RecordLines.MAX_RECORD_BYTES);
  }

  private static List<byte[]> readAll(RecordLines lines) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (lines) {
      byte[] line;
      while ((line = lines.next()) != null) {
        out.add(line);
      }
    }
    return out;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }
}
