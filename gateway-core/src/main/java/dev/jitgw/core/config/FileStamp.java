package dev.jitgw.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A cheap fingerprint of a watched file (modification time and size), so reloaders re-read it only
 * when it changed. A file that cannot be read stamps as {@code missing}.
 */
public final class FileStamp {
  private FileStamp() {}

  public static String of(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis() + ":" + Files.size(file);
    } catch (IOException e) {
      return "missing";
    }
  }
}
