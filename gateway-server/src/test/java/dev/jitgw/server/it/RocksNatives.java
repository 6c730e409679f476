package dev.jitgw.server.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.rocksdb.util.Environment;

/**
 * RocksDB's native library, unpacked once for gateway processes a test starts. Left alone, each
 * process unpacks the 17 MB library into {@code /tmp} on start and deletes it on exit, which a
 * process killed with SIGKILL never does; and unpacking is a good part of its start-up time.
 */
final class RocksNatives {
  private RocksNatives() {}

  /**
   * Unpacks the library for this platform into {@code dir} and returns the JVM options that make a
   * child process load it from there; with {@link #SHAREDLIB_DIR} also set to {@code dir}, a
   * process that cannot load it unpacks it there rather than into {@code /tmp}.
   */
  static List<String> jvmOptions(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String name :
        java.util.Arrays.asList(
            Environment.getJniLibraryFileName("rocksdb"),
            Environment.getFallbackJniLibraryFileName("rocksdb"))) {
      if (name == null) {
        continue;
      }
      try (InputStream in = Environment.class.getClassLoader().getResourceAsStream(name)) {
        if (in != null) {
          Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
          break;
        }
      }
    }
    return List.of("-Djava.library.path=" + dir);
  }

  /** The variable that points RocksDB's own unpacking at {@code dir}. */
  static final String SHAREDLIB_DIR = "ROCKSDB_SHAREDLIB_DIR";
}
