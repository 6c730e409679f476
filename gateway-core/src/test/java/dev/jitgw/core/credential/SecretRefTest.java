package dev.jitgw.core.credential;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretRefTest {

  @TempDir Path dir;

  /** Writes {@code content} and moves the modification time forward, so the change is visible. */
  private static void rewrite(Path file, String content) throws IOException {
    FileTime before = Files.getLastModifiedTime(file);
    Files.writeString(file, content);
    Files.setLastModifiedTime(file, FileTime.from(before.toInstant().plus(Duration.ofSeconds(10))));
  }

  // --- env: -------------------------------------------------------------------------------

  @Test
  void envReferenceResolvesFromTheGivenEnvironment() {
    SecretRef ref = SecretRef.parse("env:UPSTREAM_KEY", Map.of("UPSTREAM_KEY", "sk-ant-123"));

    assertThat(ref.resolve()).contains("sk-ant-123");
  }

  @Test
  void envValueIsTrimmed() {
    SecretRef ref = SecretRef.parse("env:UPSTREAM_KEY", Map.of("UPSTREAM_KEY", "  sk-ant-123\n"));

    assertThat(ref.resolve()).contains("sk-ant-123");
  }

  @Test
  void unsetOrEmptyVariableResolvesToEmpty() {
    assertThat(SecretRef.parse("env:UPSTREAM_KEY", Map.of()).resolve()).isEmpty();
    assertThat(SecretRef.parse("env:UPSTREAM_KEY", Map.of("UPSTREAM_KEY", "")).resolve()).isEmpty();
    assertThat(SecretRef.parse("env:UPSTREAM_KEY", Map.of("UPSTREAM_KEY", " \t\n")).resolve())
        .isEmpty();
    assertThat(SecretRef.parse("env:UPSTREAM_KEY", Map.of("OTHER", "x")).resolve()).isEmpty();
  }

  @Test
  void envReferenceReadsTheEnvironmentAtResolveTime() {
    Map<String, String> env = new HashMap<>();
    SecretRef ref = SecretRef.parse("env:UPSTREAM_KEY", env);
    assertThat(ref.resolve()).isEmpty();

    env.put("UPSTREAM_KEY", "sk-late");

    assertThat(ref.resolve()).contains("sk-late");
  }

  // --- file: ------------------------------------------------------------------------------

  @Test
  void fileReferenceReadsTrimmedContent() throws IOException {
    Path file = dir.resolve("key");
    Files.writeString(file, "\n  sk-ant-from-file  \n\n");

    assertThat(SecretRef.parse("file:" + file, Map.of()).resolve()).contains("sk-ant-from-file");
  }

  @Test
  void fileIsReadAgainWhenItChanges() throws IOException {
    Path file = dir.resolve("key");
    Files.writeString(file, "first-key\n");
    SecretRef ref = SecretRef.parse("file:" + file, Map.of());
    assertThat(ref.resolve()).contains("first-key");

    rewrite(file, "the-rotated-second-key\n");

    assertThat(ref.resolve()).contains("the-rotated-second-key");
  }

  @Test
  void aChangeOfTheSameSizeIsSeenThroughTheModificationTime() throws IOException {
    Path file = dir.resolve("key");
    Files.writeString(file, "key-aaaa");
    SecretRef ref = SecretRef.parse("file:" + file, Map.of());
    assertThat(ref.resolve()).contains("key-aaaa");

    rewrite(file, "key-bbbb");

    assertThat(ref.resolve()).contains("key-bbbb");
  }

  @Test
  void unchangedFileKeepsResolvingToTheSameValue() throws IOException {
    Path file = dir.resolve("key");
    Files.writeString(file, "stable-key");
    SecretRef ref = SecretRef.parse("file:" + file, Map.of());

    assertThat(ref.resolve()).contains("stable-key");
    assertThat(ref.resolve()).contains("stable-key");
  }

  @Test
  void missingFileResolvesToEmpty() {
    SecretRef ref = SecretRef.parse("file:" + dir.resolve("absent"), Map.of());

    assertThat(ref.resolve()).isEmpty();
  }

  @Test
  void fileThatAppearsLaterIsPickedUp() throws IOException {
    Path file = dir.resolve("key");
    SecretRef ref = SecretRef.parse("file:" + file, Map.of());
    assertThat(ref.resolve()).isEmpty();

    Files.writeString(file, "mounted-later");

    assertThat(ref.resolve()).contains("mounted-later");
  }

  @Test
  void fileThatDisappearsResolvesToEmpty() throws IOException {
    Path file = dir.resolve("key");
    Files.writeString(file, "short-lived");
    SecretRef ref = SecretRef.parse("file:" + file, Map.of());
    assertThat(ref.resolve()).contains("short-lived");

    Files.delete(file);

    assertThat(ref.resolve()).isEmpty();
  }

  @Test
  void emptyOrBlankFileResolvesToEmpty() throws IOException {
    Path file = dir.resolve("key");
    Files.writeString(file, " \n\t\n");

    assertThat(SecretRef.parse("file:" + file, Map.of()).resolve()).isEmpty();
  }

  @Test
  void fileEmptiedLaterResolvesToEmpty() throws IOException {
    Path file = dir.resolve("key");
    Files.writeString(file, "was-here");
    SecretRef ref = SecretRef.parse("file:" + file, Map.of());
    assertThat(ref.resolve()).contains("was-here");

    rewrite(file, "");

    assertThat(ref.resolve()).isEmpty();
  }

  // --- parsing and display ----------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"plain-secret", "sk-ant-api03-abcdef", "env:", "file:", "vault:x", ""})
  void badReferencesAreRefused(String reference) {
    assertThatThrownBy(() -> SecretRef.parse(reference, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("env:NAME or file:PATH");
  }

  @Test
  void nullReferenceOrEnvironmentIsRefused() {
    assertThatThrownBy(() -> SecretRef.parse(null, Map.of()))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> SecretRef.parse("env:X", null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void toStringShowsTheReferenceNeverTheValue() throws IOException {
    SecretRef env = SecretRef.parse("env:UPSTREAM_KEY", Map.of("UPSTREAM_KEY", "sk-ant-hidden"));
    Path file = dir.resolve("key");
    Files.writeString(file, "sk-ant-file-hidden");
    SecretRef fromFile = SecretRef.parse("file:" + file, Map.of());
    assertThat(env.resolve()).isPresent();
    assertThat(fromFile.resolve()).isPresent();

    assertThat(env.toString()).isEqualTo("env:UPSTREAM_KEY").doesNotContain("sk-ant-hidden");
    assertThat(env.reference()).isEqualTo("env:UPSTREAM_KEY");
    assertThat(fromFile.toString()).isEqualTo("file:" + file).doesNotContain("sk-ant-file-hidden");
    assertThat(fromFile.reference()).isEqualTo("file:" + file);
  }
}
