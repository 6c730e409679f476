package dev.jitgw.policy.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import dev.jitgw.policy.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningKeyStoreTest {
  @TempDir Path dir;
  private final MutableClock clock = MutableClock.atNow();

  @Test
  void theFirstKeyIsCreatedOwnerOnly() throws Exception {
    SigningKeyStore store = SigningKeyStore.open(dir, clock);
    assertThat(store.keyIds()).hasSize(1);
    List<Path> files;
    try (var listing = Files.list(dir)) {
      files = listing.filter(p -> p.toString().endsWith(".jwk")).toList();
    }
    assertThat(files).hasSize(1);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get(0))))
        .isEqualTo("rw-------");
    assertThat(SigningKeyStore.open(dir, clock).signingKey().getKeyID())
        .isEqualTo(store.signingKey().getKeyID());
  }

  @Test
  void rotationSignsWithTheNewKeyAndKeepsTheOldOneForVerification() {
    SigningKeyStore store = SigningKeyStore.open(dir, clock);
    RSAKey old = store.signingKey();
    clock.advance(Duration.ofSeconds(5));
    RSAKey fresh = store.rotate();
    assertThat(store.signingKey().getKeyID()).isEqualTo(fresh.getKeyID());
    assertThat(store.publicKeys().getKeyByKeyId(old.getKeyID())).isNotNull();
    assertThat(store.publicKeys().getKeyByKeyId(fresh.getKeyID()).isPrivate()).isFalse();
  }

  @Test
  void aRunningStorePicksUpAKeyRotatedByAnotherProcess() {
    SigningKeyStore running = SigningKeyStore.open(dir, clock);
    String before = running.signingKey().getKeyID();
    clock.advance(Duration.ofSeconds(5));
    String rotated = SigningKeyStore.open(dir, clock).rotate().getKeyID();
    assertThat(running.signingKey().getKeyID()).isEqualTo(before);
    running.refresh();
    assertThat(running.signingKey().getKeyID()).isEqualTo(rotated);
    assertThat(running.keyIds()).containsExactly(before, rotated);
  }
}
