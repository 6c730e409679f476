package dev.jitgw.audit.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The gateway's checkpoint key on disk: {@value #KEY_FILE} holds the private key line ({@code
 * PRIVATE+KEY+<name>+<hash>+<keydata>}, see {@link NoteSigner#privateKey()}), readable by its owner
 * only (0600) where the file system has POSIX permissions; {@value #VERIFIER_FILE} next to it holds
 * the verifier key line for auditors. Both files are written whole or not at all: to a temporary
 * file in the same directory, flushed, then moved into place.
 *
 * <p>The first start creates the key; later starts load it. One process owns the directory (the
 * audit log's store next to it is locked by one process anyway); two processes creating a key in
 * the same directory at the same instant are not guarded against.
 */
public final class CheckpointKeyFile {

  public static final String KEY_FILE = "checkpoint.key";
  public static final String VERIFIER_FILE = "verifier.key";

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> WORLD_READABLE =
      PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> OWNER_DIRECTORY =
      PosixFilePermissions.fromString("rwx------");

  private final Path keyFile;
  private final Path verifierFile;
  private final NoteSigner signer;
  private final boolean created;

  private CheckpointKeyFile(Path keyFile, Path verifierFile, NoteSigner signer, boolean created) {
    this.keyFile = keyFile;
    this.verifierFile = verifierFile;
    this.signer = signer;
    this.created = created;
  }

  /**
   * Loads the key in {@code directory}, or creates it there (and the directory, owner-only, if
   * missing). The key is named {@code origin}, the log's origin (tlog-checkpoint §Signatures). A
   * missing {@value #VERIFIER_FILE} is written again; one that does not match the key is refused.
   *
   * @throws IOException when the files cannot be read or written
   * @throws IllegalStateException when the files hold something else than a key named {@code
   *     origin} and its verifier key
   */
  public static CheckpointKeyFile loadOrCreate(Path directory, String origin) throws IOException {
    requireNonNull(directory, "directory");
    requireNonNull(origin, "origin");
    NoteFormat.requireValidKeyName(origin);
    boolean posix = supportsPosix(directory);
    if (!Files.isDirectory(directory)) {
      if (posix) {
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(OWNER_DIRECTORY));
      } else {
        Files.createDirectories(directory);
      }
    }
    Path keyFile = directory.resolve(KEY_FILE);
    Path verifierFile = directory.resolve(VERIFIER_FILE);

    NoteSigner signer;
    boolean created;
    if (Files.exists(keyFile)) {
      signer = readKey(keyFile, origin);
      created = false;
    } else if (Files.notExists(keyFile)) {
      signer = NoteSigner.generate(origin);
      writeAtomically(keyFile, signer.privateKey() + "\n", OWNER_ONLY);
      created = true;
    } else {
      // Neither exists nor not: never overwrite a key that may be there.
      throw new IOException(
          "cannot tell whether " + keyFile + " exists (expected a readable directory)");
    }

    if (Files.exists(verifierFile)) {
      String held = Files.readString(verifierFile, UTF_8).strip();
      if (!held.equals(signer.verifierKey())) {
        throw new IllegalStateException(
            verifierFile
                + " holds "
                + NoteFormat.quote(held)
                + " but the verifier key of "
                + keyFile
                + " is "
                + signer.verifierKey()
                + " (expected the pair of one key: restore the matching file, or delete "
                + VERIFIER_FILE
                + " to have it written again)");
      }
    } else {
      writeAtomically(verifierFile, signer.verifierKey() + "\n", WORLD_READABLE);
    }
    return new CheckpointKeyFile(keyFile, verifierFile, signer, created);
  }

  private static NoteSigner readKey(Path keyFile, String origin) throws IOException {
    String content = Files.readString(keyFile, UTF_8).strip();
    NoteSigner signer;
    try {
      signer = NoteSigner.parse(content);
    } catch (IllegalArgumentException e) {
      // The parse messages never repeat the key data.
      throw new IllegalStateException(
          keyFile
              + " does not hold a note private key (expected one line"
              + " PRIVATE+KEY+<name>+<hash>+<keydata>): "
              + e.getMessage(),
          e);
    }
    if (!signer.name().equals(origin)) {
      throw new IllegalStateException(
          keyFile
              + " holds the key "
              + signer.keyId()
              + " but the audit log origin is "
              + NoteFormat.quote(origin)
              + " (expected a key named after the origin; tlog-checkpoint §Signatures)");
    }
    return signer;
  }

  /** Temporary file in the same directory, flushed, moved over {@code target} in one step. */
  private static void writeAtomically(Path target, String content, Set<PosixFilePermission> mode)
      throws IOException {
    Path directory = target.toAbsolutePath().getParent();
    boolean posix = supportsPosix(directory);
    FileAttribute<?>[] attributes =
        posix
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
            : new FileAttribute<?>[0];
    // Created owner-only, so a key is never readable by others, not even for an instant.
    Path temporary =
        Files.createTempFile(directory, "." + target.getFileName() + ".", ".tmp", attributes);
    try {
      if (posix) {
        Files.setPosixFilePermissions(temporary, mode); // exact mode, whatever the umask
      }
      try (FileChannel channel =
          FileChannel.open(
              temporary, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(UTF_8));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      try {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(
            "cannot write "
                + target
                + " atomically: the file system of "
                + directory
                + " cannot rename files in one step",
            e);
      }
    } finally {
      Files.deleteIfExists(temporary);
    }
    syncDirectory(directory);
  }

  /** Makes the rename durable where the platform allows opening a directory (not Windows). */
  private static void syncDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Best effort: the file itself was flushed before the move.
    }
  }

  private static boolean supportsPosix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** The key, named after the log's origin. */
  public NoteSigner signer() {
    return signer;
  }

  public NoteVerifier verifier() {
    return signer.verifier();
  }

  /** {@code <directory>/checkpoint.key}. */
  public Path keyFile() {
    return keyFile;
  }

  /** {@code <directory>/verifier.key}. */
  public Path verifierFile() {
    return verifierFile;
  }

  /** Whether this call created the key (first start) rather than loaded it. */
  public boolean created() {
    return created;
  }

  @Override
  public String toString() {
    return "CheckpointKeyFile["
        + keyFile
        + ", "
        + signer.keyId()
        + (created ? ", created" : "")
        + "]";
  }
}
