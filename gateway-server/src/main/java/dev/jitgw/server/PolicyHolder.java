package dev.jitgw.server;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.config.ConfigException;
import dev.jitgw.core.config.FileStamp;
import dev.jitgw.core.config.GatewayConfig;
import dev.jitgw.core.config.UpstreamRoute;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.policy.rules.Policy;
import dev.jitgw.policy.rules.PolicyException;
import dev.jitgw.policy.rules.PolicyLoader;
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
    Policy loaded;
    try {
      loaded = PolicyLoader.load(config.policyFile());
    } catch (PolicyException e) {
      throw new ConfigException(e.getMessage(), e);
    }
    for (Policy.Rule rule : loaded.rules()) {
      if (rule.outcome() instanceof Decision.Allow allow) {
        if (allow.route().isPresent()
            && config.upstream().routes().stream()
                .map(UpstreamRoute::name)
                .noneMatch(allow.route().get()::equals)) {
          throw new ConfigException(
              "policy file "
                  + config.policyFile()
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
