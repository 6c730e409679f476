package dev.jitgw.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Makes a Netty buffer leak a failing test.
 *
 * <p>As a {@link LauncherSessionListener} it installs, before any test class touches Netty, a leak
 * detector factory that records every leak report. As an auto-detected JUnit extension it forces
 * collection after each test class, lets the detectors poll their reference queues, and fails the
 * class when a leak was reported. Surefire runs every test JVM with {@code
 * -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked.
 */
public final class LeakGuard implements LauncherSessionListener, AfterAllCallback {
  private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  static {
    install();
  }

  /** Installs the recording factory once per JVM. */
  public static void install() {
    if (INSTALLED.compareAndSet(false, true)) {
      ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }
  }

  @Override
  public void launcherSessionOpened(LauncherSession session) {
    install();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<String> found = collect();
    if (!found.isEmpty()) {
      throw new AssertionError(
          "Netty reported "
              + found.size()
              + " leak(s) while running "
              + context.getDisplayName()
              + ":\n"
              + String.join("\n\n", found));
    }
  }

  /** Collects garbage, triggers the detectors, and drains the leaks reported so far. */
  public static List<String> collect() {
    for (int round = 0; round < 3; round++) {
      System.gc();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      // Detectors poll their reference queues when they track a new object.
      for (int i = 0; i < 8; i++) {
        ByteBuf pooled = PooledByteBufAllocator.DEFAULT.buffer(16);
        pooled.release();
        ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.buffer(16);
        unpooled.release();
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        direct.release();
      }
    }
    List<String> drained = new ArrayList<>();
    String leak;
    while ((leak = LEAKS.poll()) != null) {
      drained.add(leak);
    }
    return drained;
  }

  private static final class RecordingFactory extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(
        Class<T> resource, int samplingInterval, long maxActive) {
      return new RecordingDetector<>(resource, samplingInterval);
    }

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(
        Class<T> resource, int samplingInterval) {
      return new RecordingDetector<>(resource, samplingInterval);
    }
  }

  private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
    RecordingDetector(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected boolean needReport() {
      return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      LEAKS.add("LEAK " + resourceType + records);
      super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      LEAKS.add("LEAK " + resourceType + " (untraced)");
      super.reportUntracedLeak(resourceType);
    }
  }
}
