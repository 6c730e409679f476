package dev.jitgw.core.config;

import java.util.List;

/**
 * The admin API's authorization.
 *
 * @param groups identities with one of these groups (from a trusted issuer's token) may use the
 *     admin routes ({@code JITGW_ADMIN_GROUPS}, a comma list)
 */
public record AdminConfig(List<String> groups) {

  public AdminConfig {
    groups = groups == null || groups.isEmpty() ? List.of("jitgw-admins") : List.copyOf(groups);
  }

  public static AdminConfig defaults() {
    return new AdminConfig(null);
  }
}
