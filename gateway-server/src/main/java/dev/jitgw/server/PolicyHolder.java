package dev.jitgw.server;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.FileStamp;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.UpstreamRoute;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.io.AtomicFile;
import dev.jitgw.policy.rules.Policy;
import dev.jitgw.policy.rules.PolicyException;
import dev.jitgw.policy.rules.PolicyLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy in force, swapped whole on reload. A new version is compiled and checked completely
 * before it replaces the old one; a version that fails (syntax, CEL, or a demand this build cannot
 * enforce) is refused with the file, rule and error, and the old policy stays in force.
 */
public final class PolicyHolder implements Supplier<Policy> {
  private static final Logger log = LoggerFactory.getLogger(PolicyHolder.class);

  private final GatewayConfig config;
  private final AtomicReference<Policy> current = new AtomicReference<>();
  private volatile String fileStamp = "";

  PolicyHolder(GatewayConfig config) {
    this.config = requireNonNull(config, "config");
    this.fileStamp = stamp();
    current.set(load());
  }

  @Override
  public Policy get() {
    return current.get();
  }

  /** The configuration policies are checked against (upstream routes, pricing, issuers). */
  public GatewayConfig config() {
    return config;
  }

  /** Whether policies come from a file (and can be reloaded). */
  public boolean fromFile() {
    return config.policyFile() != null;
  }

  /**
   * Loads the file again and swaps it in; throws with the reason (the old policy stays) when it
   * cannot be used. Blocking: call from a blocking executor.
   */
  public synchronized Policy reload() {
    if (!fromFile()) {
      return current.get();
    }
    String stamp = stamp();
    Policy loaded = load();
    Policy previous = current.getAndSet(loaded);
    fileStamp = stamp;
    log.info(
        "policy reloaded: version {} -> {} ({} rules)",
        previous.version(),
        loaded.version(),
        loaded.rules().size());
    return loaded;
  }

  /** Reloads when the file changed since the last (attempted) load; logs a refusal. */
  void reloadIfChanged() {
    if (!fromFile() || stamp().equals(fileStamp)) {
      return;
    }
    try {
      reload();
    } catch (ConfigException e) {
      fileStamp = stamp();
      log.warn(
          "policy reload refused, version {} stays in force: {}", get().version(), e.getMessage());
    }
  }

  private String stamp() {
    return config.policyFile() == null ? "" : FileStamp.of(config.policyFile());
  }

  private Policy load() {
    if (config.policyFile() == null) {
      return PolicyLoader.builtIn();
    }
    try {
      return checked(PolicyLoader.load(config.policyFile()));
    } catch (PolicyException e) {
      throw new ConfigException(e.getMessage(), e);
    }
  }

  /**
   * Compiles a draft with every check a reload makes (the CEL conditions, and routes this gateway
   * defines), without putting it in force; throws {@link PolicyException} naming the line, rule and
   * error.
   */
  public Policy check(String text) {
    requireNonNull(text, "text");
    return checked(
        PolicyLoader.compile(
            config.policyFile() == null ? "policy draft" : "policy file " + config.policyFile(),
            text));
  }

  /**
   * Replaces the policy file with {@code text} and reloads it. The draft is checked first, and the
   * file written (atomically) only when it passed, so a refused draft leaves the file and the
   * policy in force as they were. Blocking: call from a blocking executor.
   *
   * @throws IllegalStateException when the gateway does not run from a policy file
   * @throws PolicyException when the draft is refused
   */
  public synchronized Policy replace(String text) throws IOException {
    if (!fromFile()) {
      throw new IllegalStateException("no policy file is configured");
    }
    check(text);
    Path file = config.policyFile();
    byte[] previous = Files.readAllBytes(file);
    AtomicFile.write(file, text.getBytes(StandardCharsets.UTF_8));
    try {
      return reload();
    } catch (ConfigException e) {
      // Cannot happen for the text just checked, short of the file changing under us: put the old
      // file back so the file and the policy in force agree again.
      AtomicFile.write(file, previous);
      fileStamp = stamp();
      throw new PolicyException(e.getMessage(), e);
    }
  }

  private Policy checked(Policy loaded) {
    for (Policy.Rule rule : loaded.rules()) {
      if (rule.outcome() instanceof Decision.Allow allow) {
        if (allow.route().isPresent()
            && config.upstream().routes().stream()
                .map(UpstreamRoute::name)
                .noneMatch(allow.route().get()::equals)) {
          throw new PolicyException(
              loaded.source()
                  + ", line "
                  + rule.line()
                  + ", rule '"
                  + rule.name()
                  + "': route '"
                  + allow.route().get()
                  + "' is not defined under upstream.routes");
        }
      }
    }
    return loaded;
  }
}
