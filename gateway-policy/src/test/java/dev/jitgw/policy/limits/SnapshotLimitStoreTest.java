package dev.jitgw.policy.limits;

import static dev.jitgw.policy.limits.InMemoryLimitStoreTest.REQUESTS;
import static dev.jitgw.policy.limits.InMemoryLimitStoreTest.T0;
import static dev.jitgw.policy.limits.InMemoryLimitStoreTest.TOKENS_DAY;
import static dev.jitgw.policy.limits.InMemoryLimitStoreTest.TOKENS_MINUTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jitgw.policy.limits.LimitStore.Adjustment;
import dev.jitgw.policy.limits.LimitStore.Admitted;
import dev.jitgw.policy.limits.LimitStore.Charge;
import dev.jitgw.policy.testing.MutableClock;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotLimitStoreTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);

  private static <T> T join(java.util.concurrent.CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  private static List<Charge> request() {
    return List.of(
        new Charge(REQUESTS, 1, 100),
        new Charge(TOKENS_MINUTE, 500, 100_000),
        new Charge(TOKENS_DAY, 500, 1_000_000));
  }

  @Test
  void countersSurviveCloseAndReopenAndEndedWindowsAreDropped() {
    SnapshotLimitStore store = SnapshotLimitStore.open(dir.resolve("limits"), clock);
    join(store.reserve(request()));
    join(store.reserve(request()));
    store.close();
    assertThat(dir.resolve("limits/counters.json")).exists();
    assertThat(dir.resolve("limits").toFile().list()).containsExactly("counters.json");

    SnapshotLimitStore reopened = SnapshotLimitStore.open(dir.resolve("limits"), clock);
    assertThat(join(reopened.used(REQUESTS, T0))).isEqualTo(2);
    assertThat(join(reopened.used(TOKENS_MINUTE, T0))).isEqualTo(1000);
    assertThat(join(reopened.used(TOKENS_DAY, T0))).isEqualTo(1000);
    reopened.close();

    clock.advance(Duration.ofMinutes(5));
    SnapshotLimitStore later = SnapshotLimitStore.open(dir.resolve("limits"), clock);
    assertThat(join(later.used(REQUESTS, T0))).isZero();
    assertThat(join(later.used(TOKENS_MINUTE, T0))).isZero();
    assertThat(join(later.used(TOKENS_DAY, clock.instant()))).isEqualTo(1000);
    later.close();

    clock.advance(Duration.ofDays(1));
    SnapshotLimitStore tomorrow = SnapshotLimitStore.open(dir.resolve("limits"), clock);
    assertThat(join(tomorrow.used(TOKENS_DAY, T0))).isZero();
    tomorrow.close();
  }

  @Test
  void aCrashLosesOnlyWhatWasCountedSinceTheLastFlush() {
    SnapshotLimitStore crashed = SnapshotLimitStore.open(dir, clock);
    join(crashed.reserve(request()));
    crashed.flush();
    join(crashed.reserve(request()));
    // No close: the process died here.

    SnapshotLimitStore restarted = SnapshotLimitStore.open(dir, clock);
    assertThat(join(restarted.used(REQUESTS, T0))).isEqualTo(1);
    assertThat(join(restarted.used(TOKENS_DAY, T0))).isEqualTo(500);
    restarted.close();
  }

  @Test
  void aReservationInFlightAtCloseStaysCountedAtItsWorstCase() {
    SnapshotLimitStore store = SnapshotLimitStore.open(dir, clock);
    Admitted inFlight = (Admitted) join(store.reserve(request()));
    store.close();
    // The settle arrives after the close: it is dropped, and must not fail.
    assertThat(
            store
                .settle(
                    inFlight.held().stream()
                        .map(h -> new Adjustment(h.slot(), -h.amount()))
                        .toList())
                .toCompletableFuture())
        .isCompleted();

    SnapshotLimitStore restarted = SnapshotLimitStore.open(dir, clock);
    assertThat(join(restarted.used(TOKENS_DAY, T0))).isEqualTo(500);
    restarted.close();
    assertThatThrownBy(() -> join(store.reserve(request())))
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void settledCountsArePersisted() {
    SnapshotLimitStore store = SnapshotLimitStore.open(dir, clock);
    Admitted admitted = (Admitted) join(store.reserve(request()));
    join(store.settle(List.of(new Adjustment(admitted.held().get(2).slot(), -380))));
    store.close();

    SnapshotLimitStore reopened = SnapshotLimitStore.open(dir, clock);
    assertThat(join(reopened.used(TOKENS_DAY, T0))).isEqualTo(120);
    reopened.close();
  }

  @Test
  void anUnchangedStoreDoesNotRewriteTheFile() throws Exception {
    SnapshotLimitStore store = SnapshotLimitStore.open(dir, clock);
    join(store.reserve(request()));
    store.flush();
    Path file = store.file();
    String written = Files.readString(file);
    assertThat(written).contains("\"kind\":\"tokens\"", "\"window\":\"day\"", "\"used\":500");

    Files.writeString(file, written.replace("\"used\":500", "\"used\":501"));
    store.flush();
    assertThat(Files.readString(file)).contains("\"used\":501");

    join(store.reserve(request()));
    store.flush();
    assertThat(Files.readString(file)).contains("\"used\":1000").doesNotContain("\"used\":501");
    store.close();
  }

  @Test
  void anUnreadableSnapshotRefusesToStartRatherThanResetTheCounters() throws Exception {
    Files.writeString(
        dir.resolve("counters.json"),
        "{\"version\":1,\"counters\":[{\"scope\":",
        StandardCharsets.UTF_8);
    assertThatThrownBy(() -> SnapshotLimitStore.open(dir, clock))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(dir.resolve("counters.json").toString())
        .hasMessageContaining("remove the file");

    Files.writeString(dir.resolve("counters.json"), "{\"version\":2,\"counters\":[]}");
    assertThatThrownBy(() -> SnapshotLimitStore.open(dir, clock))
        .hasMessageContaining("version: 2 (expected: 1)");

    Files.writeString(
        dir.resolve("counters.json"),
        "{\"version\":1,\"counters\":[{\"scope\":\"group:eng\",\"kind\":\"joules\","
            + "\"window\":\"day\",\"window_start\":\"2026-11-29T00:00:00Z\",\"used\":3}]}");
    assertThatThrownBy(() -> SnapshotLimitStore.open(dir, clock)).hasMessageContaining("joules");
  }

  @Test
  void thePeriodicFlushIsScheduledOnTheGivenExecutorAndCancelledAtClose() {
    ScheduledThreadPoolExecutor flusher = new ScheduledThreadPoolExecutor(1);
    flusher.setRemoveOnCancelPolicy(true);
    try {
      SnapshotLimitStore store = SnapshotLimitStore.open(dir, clock, flusher, Duration.ofHours(1));
      assertThat(flusher.getQueue()).hasSize(1);
      store.close();
      assertThat(flusher.getQueue()).isEmpty();
      assertThat(store.file()).exists();
      assertThatThrownBy(() -> SnapshotLimitStore.open(dir, clock, flusher, Duration.ZERO))
          .hasMessage("interval: PT0S (expected: > 0)");
    } finally {
      flusher.shutdownNow();
    }
  }
}
