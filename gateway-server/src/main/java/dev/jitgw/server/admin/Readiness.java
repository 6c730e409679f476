package dev.jitgw.server.admin;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Named readiness checks (audit store open, policy loaded, not draining, ...). {@code /readyz}
 * answers 200 only while every check passes.
 */
public final class Readiness {
  private final Map<String, BooleanSupplier> checks = new ConcurrentHashMap<>();

  public Readiness register(String name, BooleanSupplier check) {
    checks.put(name, check);
    return this;
  }

  /** Each check's current result, by name, in name order. */
  public Map<String, Boolean> evaluate() {
    Map<String, Boolean> results = new LinkedHashMap<>();
    checks.keySet().stream()
        .sorted()
        .forEach(
            name -> {
              boolean ok;
              try {
                ok = checks.get(name).getAsBoolean();
              } catch (RuntimeException e) {
                ok = false;
              }
              results.put(name, ok);
            });
    return results;
  }
}
