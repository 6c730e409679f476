package dev.jitgw.server.admin;

import java.util.List;

/**
 * Every route {@link AdminHandler} answers, in one place: the OpenAPI document ({@code
 * openapi/admin.json}) must describe each of them, and a test calls each one on a live gateway. Add
 * a route here when you add it to the handler. Path parameters are written {@code {name}}.
 */
final class AdminRoutes {
  private AdminRoutes() {}

  record Route(String method, String path) {}

  static final List<Route> ALL =
      List.of(
          new Route("GET", "/healthz"),
          new Route("GET", "/readyz"),
          new Route("GET", "/metrics"),
          new Route("GET", "/api/openapi.json"),
          new Route("GET", "/api/policy"),
          new Route("POST", "/api/policy"),
          new Route("POST", "/api/policy/check"),
          new Route("POST", "/api/policy/reload"),
          new Route("POST", "/api/tokens/revoke"),
          new Route("GET", "/api/exchanges"),
          new Route("GET", "/api/exchanges/{id}"),
          new Route("GET", "/api/audit/export"),
          new Route("GET", "/api/audit/checkpoint"),
          new Route("GET", "/api/approvals"),
          new Route("GET", "/api/approvals/{id}"),
          new Route("POST", "/api/approvals/{id}/approve"),
          new Route("POST", "/api/approvals/{id}/deny"),
          new Route("GET", "/api/grants"),
          new Route("POST", "/api/grants/{id}/revoke"),
          new Route("POST", "/api/backup"));
}
