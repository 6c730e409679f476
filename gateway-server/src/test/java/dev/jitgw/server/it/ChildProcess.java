package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jitgw.server.cli.JitgwCommand;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Processes the tests start: real {@code jitgw serve} gateways for the tests that kill or restart
 * one, and free ports for them and for Keycloak.
 */
final class ChildProcess {
  private ChildProcess() {}

  /** A port free now (another process may take it before it is used; the tests accept that). */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * The settings of a gateway on {@code port} and {@code adminPort} with its data under {@code
   * dir/data}, forwarding to {@code upstreamUrl} with the upstream key the fake upstream expects
   * and trusting tokens of {@code issuer}; more may be added.
   */
  static Map<String, String> settings(
      Path dir, int port, int adminPort, String upstreamUrl, String issuer) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("JITGW_LISTEN", "127.0.0.1:" + port);
    settings.put("JITGW_ADMIN_LISTEN", "127.0.0.1:" + adminPort);
    settings.put("JITGW_DATA_DIR", dir.resolve("data").toString());
    settings.put("JITGW_UPSTREAM_URL", upstreamUrl);
    settings.put("JITGW_OIDC_ISSUER", issuer);
    settings.put("ANTHROPIC_API_KEY", GatewayHarness.UPSTREAM_KEY);
    return settings;
  }

  /**
   * Starts {@code java [jvmOptions] -cp <the test classpath> JitgwCommand serve}: the environment's
   * {@code JITGW_*} and {@code ANTHROPIC_*} variables replaced by {@code settings}, RocksDB's
   * native library unpacked under {@code nativeDir} rather than {@code /tmp} (a killed process
   * never deletes what it unpacked), output in {@code log}.
   */
  static Process serve(
      List<String> jvmOptions, Map<String, String> settings, Path nativeDir, Path log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-cp", System.getProperty("java.class.path"), JitgwCommand.class.getName(), "serve"));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("JITGW_") || name.startsWith("ANTHROPIC_"));
    env.putAll(settings);
    env.put(RocksNatives.SHAREDLIB_DIR, Files.createDirectories(nativeDir).toString());
    return builder.start();
  }

  /**
   * Waits until the gateway's admin listener says ready; fails, with the gateway's log, if the
   * process exits first or 60 s pass.
   */
  static void awaitReady(HttpClient http, Process process, int adminPort, Path log)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
            .timeout(Duration.ofSeconds(2))
            .build();
    while (System.nanoTime() < deadline) {
      assertThat(process.isAlive())
          .as("the gateway exited early; its log:%n%s", readLog(log))
          .isTrue();
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the gateway was not ready in 60 s; its log:\n" + readLog(log));
  }

  /** The gateway's log so far. */
  static String readLog(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
