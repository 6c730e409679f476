package dev.jitgw.server.demo;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One of the demo's ready-made callers. Their groups match the sample policy and the admin
 * defaults: {@code security} approves holds, {@code jitgw-admins} may use the admin API.
 *
 * @param name the token's {@code sub}
 * @param groups the token's {@code groups} claim
 * @param role what the user is for, printed by the demo
 */
public record DemoUser(String name, List<String> groups, String role) {
  public static final DemoUser DEV =
      new DemoUser("dev", List.of("eng"), "a developer calling Claude");
  public static final DemoUser APPROVER =
      new DemoUser("approver", List.of("security"), "decides approval holds");
  public static final DemoUser ADMIN =
      new DemoUser("admin", List.of("jitgw-admins"), "uses the admin API");

  /** Every demo user, in the order the demo prints them. */
  public static final List<DemoUser> ALL = List.of(DEV, APPROVER, ADMIN);

  public DemoUser {
    requireNonNull(name, "name");
    groups = List.copyOf(groups);
    requireNonNull(role, "role");
  }
}
