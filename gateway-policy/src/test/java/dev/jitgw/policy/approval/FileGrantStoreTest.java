package dev.jitgw.policy.approval;

import static dev.jitgw.policy.approval.Fixtures.ALICE;
import static dev.jitgw.policy.approval.Fixtures.BOB;
import static dev.jitgw.policy.approval.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.policy.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileGrantStoreTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);
  private final Subject alice = Subject.of(ALICE);

  private static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  @Test
  void grantsSurviveAReopenUntilTheyEnd() {
    FileGrantStore store = FileGrantStore.open(dir, clock, Runnable::run);
    Grant grant = join(store.grant(alice, "rule", T0.plus(Duration.ofMinutes(30)), "apr_1"));
    join(store.grant(alice, "other", T0.plus(Duration.ofMinutes(5)), "apr_2"));
    assertThat(grant.id()).startsWith("grt_");
    assertThat(store.active(alice, "rule", T0)).contains(grant);
    assertThat(store.active(alice, "rule", T0.plus(Duration.ofMinutes(30)))).isEmpty();
    assertThat(store.active(Subject.of(BOB), "rule", T0)).isEmpty();
    store.close();

    clock.advance(Duration.ofMinutes(10));
    FileGrantStore reopened = FileGrantStore.open(dir, clock, Runnable::run);
    assertThat(reopened.active(alice, "rule", clock.instant())).contains(grant);
    assertThat(reopened.list(clock.instant())).containsExactly(grant);
    reopened.close();
  }

  @Test
  void aNewGrantReplacesTheOldAndKeepsTheLaterEnd() {
    FileGrantStore store = FileGrantStore.open(dir, clock, Runnable::run);
    join(store.grant(alice, "rule", T0.plus(Duration.ofHours(2)), "apr_1"));
    Grant shorter = join(store.grant(alice, "rule", T0.plus(Duration.ofHours(1)), "apr_2"));

    assertThat(shorter.until()).isEqualTo(T0.plus(Duration.ofHours(2)));
    assertThat(shorter.approvalId()).isEqualTo("apr_2");
    assertThat(store.list(T0)).containsExactly(shorter);
    store.close();
  }

  @Test
  void revokingEndsAGrantDurably() {
    FileGrantStore store = FileGrantStore.open(dir, clock, Runnable::run);
    Grant grant = join(store.grant(alice, "rule", T0.plus(Duration.ofHours(1)), "apr_1"));

    assertThat(join(store.revoke(grant.id()))).contains(grant);
    assertThat(join(store.revoke(grant.id()))).isEmpty();
    assertThat(store.active(alice, "rule", T0)).isEmpty();
    store.close();
    FileGrantStore reopened = FileGrantStore.open(dir, clock, Runnable::run);
    assertThat(reopened.list(T0)).isEmpty();
    reopened.close();
  }
}
