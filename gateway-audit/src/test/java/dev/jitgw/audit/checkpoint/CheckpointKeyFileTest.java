package dev.jitgw.audit.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CheckpointKeyFile}: the gateway's checkpoint key on disk. */
class CheckpointKeyFileTest {

  private static final String ORIGIN = "jitgw.example/audit";

  @TempDir Path directory;

  @Test
  void createsTheKeyOnFirstStartAndLoadsItAfterwards() throws Exception {
    CheckpointKeyFile first = CheckpointKeyFile.loadOrCreate(directory, ORIGIN);
    CheckpointKeyFile second = CheckpointKeyFile.loadOrCreate(directory, ORIGIN);

    assertThat(first.created()).isTrue();
    assertThat(second.created()).isFalse();
    assertThat(second.verifier()).isEqualTo(first.verifier());
    assertThat(second.signer().verifierKey()).isEqualTo(first.signer().verifierKey());
    assertThat(second.signer().name()).isEqualTo(ORIGIN);
    assertThat(second.keyFile()).isEqualTo(directory.resolve("checkpoint.key"));
    assertThat(second.verifierFile()).isEqualTo(directory.resolve("verifier.key"));

    assertThat(Files.readString(first.keyFile(), UTF_8))
        .isEqualTo(first.signer().privateKey() + "\n")
        .startsWith("PRIVATE+KEY+" + ORIGIN + "+");
    assertThat(Files.readString(first.verifierFile(), UTF_8))
        .isEqualTo(first.signer().verifierKey() + "\n");
    // The signature of the loaded key verifies with the published verifier key.
    String note = second.signer().sign("x\n");
    assertThat(NoteVerifier.parse(Files.readString(first.verifierFile(), UTF_8).strip()).open(note))
        .isNotNull();
  }

  @Test
  void theKeyFileIsOwnerOnly() throws Exception {
    assumeTrue(
        directory.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "POSIX permissions");

    CheckpointKeyFile keys = CheckpointKeyFile.loadOrCreate(directory, ORIGIN);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.keyFile())))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.verifierFile())))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void createsAMissingDirectoryOwnerOnly() throws Exception {
    Path nested = directory.resolve("state/keys");

    CheckpointKeyFile keys = CheckpointKeyFile.loadOrCreate(nested, ORIGIN);

    assertThat(keys.keyFile()).exists();
    if (directory.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(nested)))
          .isEqualTo("rwx------");
    }
  }

  @Test
  void leavesNoTemporaryFilesBehind() throws Exception {
    CheckpointKeyFile.loadOrCreate(directory, ORIGIN);

    try (Stream<Path> files = Files.list(directory)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("checkpoint.key", "verifier.key");
    }
  }

  @Test
  void loadsAKeyWrittenByGo() throws Exception {
    Files.writeString(directory.resolve("checkpoint.key"), ReferenceVectors.LOG_SK + "\n", UTF_8);

    CheckpointKeyFile keys = CheckpointKeyFile.loadOrCreate(directory, "Log");

    assertThat(keys.created()).isFalse();
    assertThat(keys.verifier().verifierKey()).isEqualTo(ReferenceVectors.LOG_VK);
    assertThat(Files.readString(keys.verifierFile(), UTF_8))
        .isEqualTo(ReferenceVectors.LOG_VK + "\n");
  }

  @Test
  void rewritesAMissingVerifierFile() throws Exception {
    CheckpointKeyFile first = CheckpointKeyFile.loadOrCreate(directory, ORIGIN);
    Files.delete(first.verifierFile());

    CheckpointKeyFile second = CheckpointKeyFile.loadOrCreate(directory, ORIGIN);

    assertThat(second.created()).isFalse();
    assertThat(Files.readString(second.verifierFile(), UTF_8))
        .isEqualTo(first.signer().verifierKey() + "\n");
  }

  @Test
  void refusesAVerifierFileOfAnotherKey() throws Exception {
    CheckpointKeyFile.loadOrCreate(directory, ORIGIN);
    String other = NoteSigner.generate(ORIGIN).verifierKey();
    Files.writeString(directory.resolve("verifier.key"), other + "\n", UTF_8);

    assertThatThrownBy(() -> CheckpointKeyFile.loadOrCreate(directory, ORIGIN))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("verifier.key holds \"" + other + "\" but the verifier key of")
        .hasMessageContaining("delete verifier.key to have it written again");
  }

  @Test
  void refusesAKeyOfAnotherOrigin() throws Exception {
    CheckpointKeyFile.loadOrCreate(directory, ORIGIN);

    assertThatThrownBy(() -> CheckpointKeyFile.loadOrCreate(directory, "other.example/log"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("checkpoint.key holds the key " + ORIGIN + "+")
        .hasMessageContaining("but the audit log origin is \"other.example/log\"");
  }

  @Test
  void refusesACorruptKeyFileWithoutEchoingIt() throws Exception {
    CheckpointKeyFile keys = CheckpointKeyFile.loadOrCreate(directory, ORIGIN);
    String key = keys.signer().privateKey();
    String corrupt = key.substring(0, key.length() - 2) + "==";
    // PRIVATE+KEY+<name>+<hash>+<key data>: the key data's base64 may itself contain '+'.
    String keyData = key.split("\\+", 5)[4];
    Files.writeString(keys.keyFile(), corrupt + "\n", UTF_8);

    assertThatThrownBy(() -> CheckpointKeyFile.loadOrCreate(directory, ORIGIN))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("checkpoint.key does not hold a note private key")
        .satisfies(
            e ->
                assertThat(e.getMessage())
                    .doesNotContain(keyData.substring(0, keyData.length() - 2)));
  }

  @Test
  void refusesAnInvalidOrigin() {
    assertThatThrownBy(() -> CheckpointKeyFile.loadOrCreate(directory, "has space"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("key name \"has space\" contains a space");
  }
}
