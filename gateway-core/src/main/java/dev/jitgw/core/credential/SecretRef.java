package dev.jitgw.core.credential;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.config.FileStamp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A reference to a secret, never the secret itself: {@code env:NAME} (an environment variable) or
 * {@code file:PATH} (a file, re-read when it changes, e.g. a rotated Kubernetes secret). {@link
 * #toString()} shows the reference, never the value.
 */
public final class SecretRef {
  private final String reference;
  private final Supplier<Optional<String>> source;

  private SecretRef(String reference, Supplier<Optional<String>> source) {
    this.reference = reference;
    this.source = source;
  }

  public static SecretRef parse(String reference, Map<String, String> environment) {
    requireNonNull(reference, "reference");
    requireNonNull(environment, "environment");
    if (reference.startsWith("env:") && reference.length() > 4) {
      String name = reference.substring(4);
      return new SecretRef(
          reference,
          () ->
              Optional.ofNullable(environment.get(name))
                  .map(String::trim)
                  .filter(s -> !s.isEmpty()));
    }
    if (reference.startsWith("file:") && reference.length() > 5) {
      return new SecretRef(reference, new FileSource(Path.of(reference.substring(5))));
    }
    // The value is not echoed: a reference that is not one may well be the secret itself.
    throw new IllegalArgumentException(
        "not a secret reference (expected env:NAME or file:PATH; secrets are never written in"
            + " config files, and the value given is not shown)");
  }

  /** The current value, or empty when the variable is unset or the file is missing or empty. */
  public Optional<String> resolve() {
    return source.get();
  }

  /** {@code env:NAME} or {@code file:PATH}: safe to show in messages. */
  public String reference() {
    return reference;
  }

  @Override
  public String toString() {
    return reference;
  }

  /** Reads the file again only when its modification time or size changed. */
  private static final class FileSource implements Supplier<Optional<String>> {
    private final Path path;
    private String stamp = "";
    private Optional<String> value = Optional.empty();

    FileSource(Path path) {
      this.path = path;
    }

    @Override
    public synchronized Optional<String> get() {
      String now = FileStamp.of(path);
      if (now.equals(stamp)) {
        return value;
      }
      try {
        String text = Files.readString(path, StandardCharsets.UTF_8).trim();
        value = text.isEmpty() ? Optional.empty() : Optional.of(text);
        stamp = now;
      } catch (IOException e) {
        value = Optional.empty();
        stamp = "";
      }
      return value;
    }
  }
}
