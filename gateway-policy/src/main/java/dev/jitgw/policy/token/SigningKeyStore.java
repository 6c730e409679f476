package dev.jitgw.policy.token;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The gateway's own token-signing keys, as files in {@code {data_dir}/keys/}: one private JWK per
 * file ({@code token-signing-<kid>.jwk}, mode 0600). The newest key signs; every key present
 * verifies, so a rotation ({@link #rotate}) needs no downtime: tokens signed by the previous key
 * stay valid until they expire, and its file can be deleted after that. A shared secret store or a
 * KMS can replace this class behind the same methods when the gateway runs on many nodes.
 *
 * <p>RSA-2048 with RS256: verification (the hot path, on every uncached token) is about 20 times
 * faster than ES256 on this JDK (docs/benchmarks.md).
 */
public final class SigningKeyStore {
  private static final String PREFIX = "token-signing-";
  private static final String SUFFIX = ".jwk";

  private final Path directory;
  private final Clock clock;
  private volatile List<RSAKey> keys;

  /** The public halves, built once per reload: the verifier selects from them on every check. */
  private volatile JWKSet publicKeys = new JWKSet();

  private SigningKeyStore(Path directory, Clock clock) {
    this.directory = requireNonNull(directory, "directory");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Loads the keys in {@code directory}, creating the first one when there is none. */
  public static SigningKeyStore open(Path directory, Clock clock) {
    SigningKeyStore store = new SigningKeyStore(directory, clock);
    store.reload();
    if (store.keys.isEmpty()) {
      store.rotate();
    }
    return store;
  }

  /** Creates a new signing key; it signs from now on, the older ones still verify. */
  public synchronized RSAKey rotate() {
    try {
      Files.createDirectories(directory);
      String kid =
          String.format("%012d", clock.instant().getEpochSecond())
              + "-"
              + Long.toHexString(System.nanoTime());
      RSAKey key = new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).generate();
      Path tmp = Files.createTempFile(directory, ".key", ".tmp");
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: rely on the directory's protection.
      }
      Files.writeString(tmp, key.toJSONString(), StandardCharsets.UTF_8);
      Path target = directory.resolve(PREFIX + kid + SUFFIX);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target);
      }
      reload();
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException("cannot write a token-signing key in " + directory + ": " + e, e));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate a token-signing key", e);
    }
  }

  /** The key that signs new tokens: the newest. */
  public RSAKey signingKey() {
    return keys.get(keys.size() - 1);
  }

  /** Every key's public half, for verification. */
  public JWKSet publicKeys() {
    return publicKeys;
  }

  /**
   * Re-reads the key directory, so a key added by {@code jitgw keys rotate} (or a deleted retired
   * key) takes effect in a running gateway. Run on a blocking executor.
   */
  public void refresh() {
    reload();
  }

  /** Key ids present, oldest first. */
  public List<String> keyIds() {
    return keys.stream().map(JWK::getKeyID).toList();
  }

  private synchronized void reload() {
    List<RSAKey> loaded = new ArrayList<>();
    if (Files.isDirectory(directory)) {
      try (DirectoryStream<Path> files =
          Files.newDirectoryStream(directory, PREFIX + "*" + SUFFIX)) {
        for (Path file : files) {
          try {
            loaded.add(RSAKey.parse(Files.readString(file, StandardCharsets.UTF_8)));
          } catch (ParseException e) {
            throw new IllegalStateException("token-signing key " + file + " cannot be parsed", e);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    // Key ids start with their creation second: sorting by id orders them by age.
    loaded.sort(Comparator.comparing(JWK::getKeyID));
    if (loaded.isEmpty() && keys != null && !keys.isEmpty()) {
      // Every key file vanished under a running gateway: keep signing with what is loaded.
      return;
    }
    List<JWK> publicHalves = new ArrayList<>();
    for (RSAKey key : loaded) {
      publicHalves.add(key.toPublicJWK());
    }
    keys = List.copyOf(loaded);
    publicKeys = new JWKSet(publicHalves);
  }
}
