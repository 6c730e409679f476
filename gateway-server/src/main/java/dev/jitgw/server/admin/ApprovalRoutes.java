package dev.jitgw.server.admin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.approval.Approval;
import dev.jitgw.policy.approval.ApprovalException;
import dev.jitgw.policy.approval.ApprovalService;
import dev.jitgw.policy.approval.ApprovalStore;
import dev.jitgw.policy.approval.Grant;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The approval routes of the admin API (contract section 6, docs/approvals.md): listing and reading
 * approvals (admins see all, approvers those they may decide, requesters their own), deciding them,
 * and listing and revoking grants (admins only). Answers are JSON; refusals are in the gateway's
 * error shape. Store work runs on the blocking executor: a decision may fsync.
 */
final class ApprovalRoutes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DEFAULT_LIMIT = 50;
  private static final Set<String> LIST_PARAMETERS = Set.of("state", "limit", "before");
  private static final Set<String> GRANT_PARAMETERS = Set.of("limit", "before");

  private final ApprovalService approvals;
  private final Set<String> adminGroups;
  private final Executor blocking;

  ApprovalRoutes(ApprovalService approvals, List<String> adminGroups, Executor blocking) {
    this.approvals = requireNonNull(approvals, "approvals");
    this.adminGroups = Set.copyOf(adminGroups);
    this.blocking = requireNonNull(blocking, "blocking");
  }

  /**
   * One route: what it does for a verified identity, and whether that identity must be an admin.
   */
  record Route(boolean adminOnly, Function<Identity, CompletableFuture<JsonNode>> action) {}

  /**
   * The route {@code path} names, or empty when it is none of these.
   *
   * @throws GatewayException for a known path with the wrong method or bad parameters
   */
  Optional<Route> route(FullHttpRequest request, String path) {
    HttpMethod method = request.method();
    List<String> parts = List.of(path.substring(1).split("/", -1));
    if (path.equals("/api/approvals")) {
      requireMethod(method, HttpMethod.GET);
      Query query = listQuery(new QueryStringDecoder(request.uri()).parameters());
      return Optional.of(new Route(false, viewer -> async(() -> list(viewer, query))));
    }
    if (parts.size() == 3 && parts.get(1).equals("approvals")) {
      requireMethod(method, HttpMethod.GET);
      String id = parts.get(2);
      return Optional.of(new Route(false, viewer -> async(() -> one(viewer, id))));
    }
    if (parts.size() == 4
        && parts.get(1).equals("approvals")
        && (parts.get(3).equals("approve") || parts.get(3).equals("deny"))) {
      requireMethod(method, HttpMethod.POST);
      String id = parts.get(2);
      boolean approve = parts.get(3).equals("approve");
      String reason = reason(request);
      return Optional.of(new Route(false, approver -> decide(id, approver, approve, reason)));
    }
    if (path.equals("/api/grants")) {
      requireMethod(method, HttpMethod.GET);
      Map<String, List<String>> parameters = new QueryStringDecoder(request.uri()).parameters();
      for (String name : parameters.keySet()) {
        if (!GRANT_PARAMETERS.contains(name)) {
          throw badRequest("Unknown parameter '" + name + "' (expected limit, before).");
        }
      }
      // Active grants are few: by default one page holds them all, as before paging.
      int limit = limit(parameters, ApprovalStore.MAX_PAGE);
      Optional<GrantPosition> before =
          Optional.ofNullable(single(parameters, "before")).map(ApprovalRoutes::grantCursor);
      return Optional.of(new Route(true, admin -> async(() -> grants(limit, before))));
    }
    if (parts.size() == 4 && parts.get(1).equals("grants") && parts.get(3).equals("revoke")) {
      requireMethod(method, HttpMethod.POST);
      String id = parts.get(2);
      return Optional.of(new Route(true, admin -> revoke(id)));
    }
    return Optional.empty();
  }

  private record Query(Optional<Approval.State> state, int limit, Optional<String> before) {}

  private static Query listQuery(Map<String, List<String>> parameters) {
    for (String name : parameters.keySet()) {
      if (!LIST_PARAMETERS.contains(name)) {
        throw badRequest("Unknown parameter '" + name + "' (expected state, limit, before).");
      }
    }
    Optional<Approval.State> state = Optional.empty();
    String stateValue = single(parameters, "state");
    if (stateValue != null && !stateValue.equals("all")) {
      try {
        state = Optional.of(Approval.State.fromId(stateValue));
      } catch (IllegalArgumentException e) {
        throw badRequest(
            "state: '"
                + stateValue
                + "' (expected pending, approved, denied, expired, abandoned or all).");
      }
    }
    return new Query(
        state, limit(parameters, DEFAULT_LIMIT), Optional.ofNullable(single(parameters, "before")));
  }

  private static int limit(Map<String, List<String>> parameters, int defaultLimit) {
    String limitValue = single(parameters, "limit");
    if (limitValue == null) {
      return defaultLimit;
    }
    int limit;
    try {
      limit = Integer.parseInt(limitValue);
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > ApprovalStore.MAX_PAGE) {
      throw badRequest(
          "limit: '" + limitValue + "' (expected 1 to " + ApprovalStore.MAX_PAGE + ").");
    }
    return limit;
  }

  /** Where a page of grants ended: grants list by creation time, then id, both descending. */
  record GrantPosition(Instant createdAt, String id) {
    /** Whether {@code grant} comes after this position in a newest-first listing. */
    boolean isBefore(Grant grant) {
      int byTime = grant.createdAt().compareTo(createdAt);
      return byTime < 0 || (byTime == 0 && grant.id().compareTo(id) < 0);
    }
  }

  private static final Comparator<Grant> NEWEST_FIRST =
      Comparator.comparing(Grant::createdAt).thenComparing(Grant::id).reversed();

  /** Opaque to clients: base64url of {@code createdAt id}. */
  static String grantCursor(Grant grant) {
    String plain = grant.createdAt() + " " + grant.id();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(UTF_8));
  }

  static GrantPosition grantCursor(String value) {
    try {
      String plain = new String(Base64.getUrlDecoder().decode(value), UTF_8);
      int space = plain.indexOf(' ');
      if (space > 0 && space < plain.length() - 1) {
        return new GrantPosition(
            Instant.parse(plain.substring(0, space)), plain.substring(space + 1));
      }
    } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
      // fall through
    }
    throw badRequest("before: '" + value + "' (expected the 'next' of a previous page)");
  }

  private static String single(Map<String, List<String>> parameters, String name) {
    List<String> values = parameters.get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw badRequest("Parameter '" + name + "' is given more than once.");
    }
    return values.get(0);
  }

  private static String reason(FullHttpRequest request) {
    String body = request.content().toString(StandardCharsets.UTF_8);
    if (body.isBlank()) {
      return null;
    }
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (IOException e) {
      throw new GatewayException(
          ErrorCode.INVALID_JSON, "The body is not JSON; expected {\"reason\": \"...\"}.");
    }
    if (json == null || !json.isObject()) {
      throw new GatewayException(
          ErrorCode.INVALID_JSON, "The body is not a JSON object; expected {\"reason\": \"...\"}.");
    }
    JsonNode reason = json.get("reason");
    return reason == null || !reason.isTextual() ? null : reason.textValue();
  }

  private ObjectNode list(Identity viewer, Query query) {
    ApprovalStore.Page page;
    try {
      page = approvals.listFor(viewer, adminGroups, query.state(), query.limit(), query.before());
    } catch (IllegalArgumentException e) {
      throw badRequest("before: " + e.getMessage());
    }
    ObjectNode out = JSON.createObjectNode();
    ArrayNode items = out.putArray("approvals");
    page.approvals().forEach(approval -> items.add(JSON.valueToTree(approval)));
    out.put("next", page.next().orElse(null));
    return out;
  }

  private JsonNode one(Identity viewer, String id) {
    return approvals
        .get(id)
        .filter(approval -> ApprovalService.mayView(approval, viewer, adminGroups))
        .<JsonNode>map(JSON::valueToTree)
        .orElseThrow(() -> new GatewayException(ErrorCode.NOT_FOUND, "No approval " + id + "."));
  }

  private CompletableFuture<JsonNode> decide(
      String id, Identity approver, boolean approve, String reason) {
    return CompletableFuture.supplyAsync(
            () -> approvals.decide(id, approver, approve, reason, adminGroups), blocking)
        .thenCompose(Function.identity())
        .<JsonNode>thenApply(JSON::valueToTree)
        .exceptionally(
            failure -> {
              Throwable cause = unwrap(failure);
              if (cause instanceof ApprovalException refused) {
                ErrorCode code = refused.kind().errorCode().orElse(ErrorCode.BAD_REQUEST);
                throw new GatewayException(GatewayError.of(code, refused.getMessage()));
              }
              throw cause instanceof RuntimeException runtime
                  ? runtime
                  : new CompletionException(cause);
            });
  }

  /**
   * Active grants, newest first, from after {@code before}. The cursor is a position, not an id, so
   * a page continues where the last one ended even when that grant expired or was revoked since.
   */
  private ObjectNode grants(int limit, Optional<GrantPosition> before) {
    List<Grant> all = new ArrayList<>(approvals.grants());
    all.sort(NEWEST_FIRST);
    int start = 0;
    if (before.isPresent()) {
      while (start < all.size() && !before.get().isBefore(all.get(start))) {
        start++;
      }
    }
    List<Grant> page = all.subList(start, Math.min(all.size(), start + limit));
    ObjectNode out = JSON.createObjectNode();
    ArrayNode items = out.putArray("grants");
    page.forEach(grant -> items.add(JSON.<JsonNode>valueToTree(grant)));
    out.put(
        "next",
        start + limit < all.size() ? grantCursor(page.get(page.size() - 1)) : (String) null);
    return out;
  }

  private CompletableFuture<JsonNode> revoke(String id) {
    return approvals
        .revokeGrant(id)
        .thenApply(
            revoked ->
                revoked
                    .<JsonNode>map(JSON::valueToTree)
                    .orElseThrow(
                        () ->
                            new GatewayException(
                                ErrorCode.NOT_FOUND, "No active grant " + id + ".")));
  }

  private interface Read {
    JsonNode get();
  }

  private CompletableFuture<JsonNode> async(Read read) {
    return CompletableFuture.supplyAsync(read::get, blocking);
  }

  private static void requireMethod(HttpMethod actual, HttpMethod expected) {
    if (!actual.equals(expected)
        && !(expected.equals(HttpMethod.GET) && actual.equals(HttpMethod.HEAD))) {
      throw new GatewayException(
          ErrorCode.NOT_FOUND, "Method not allowed on this route (expected " + expected + ").");
    }
  }

  private static GatewayException badRequest(String message) {
    return new GatewayException(ErrorCode.BAD_REQUEST, message);
  }

  /** The failure a completion stage wrapped (in one or more {@link CompletionException}s). */
  static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
