package dev.jitgw.server.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.exchange.RequestSummaryParser;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.rules.Policy;
import dev.jitgw.policy.rules.PolicyException;
import dev.jitgw.policy.rules.PolicyTrial;
import dev.jitgw.policy.rules.RuleExplainer;
import dev.jitgw.server.PolicyHolder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy routes of the admin API, all admin only: {@code GET /api/policy} (the rules in force
 * and their version), {@code POST /api/policy/check} (compile a draft and explain it against a
 * sample identity and request, as {@code jitgw policy test} does) and {@code POST /api/policy}
 * (save a draft to the policy file and reload it). Compiling and file work run on the blocking
 * executor.
 */
final class PolicyRoutes {
  private static final Logger log = LoggerFactory.getLogger(PolicyRoutes.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What {@link dev.jitgw.policy.rules.PolicyLoader} puts in front of every refusal: the source,
   * then {@code , line N} (with the YAML path in parentheses for a YAML mistake), then {@code ,
   * rule 'name'}, then {@code : } and the problem (the CEL compiler's message for a condition).
   */
  private static final Pattern LOCATED =
      Pattern.compile(
          "^(?<source>.*?)(?:, line (?<line>\\d+))?(?: \\([^)]*\\))?(?:, rule '(?<rule>[^']*)')?:"
              + " (?<problem>.*)$",
          Pattern.DOTALL);

  private final PolicyHolder policy;
  private final Executor blocking;
  private final Clock clock;

  PolicyRoutes(PolicyHolder policy, Executor blocking, Clock clock) {
    this.policy = requireNonNull(policy, "policy");
    this.blocking = requireNonNull(blocking, "blocking");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * {@code GET /api/policy}: the rules in force and their version, and, when the gateway runs from
   * a policy file, the file's path and text (the draft editor starts from it).
   */
  CompletableFuture<FullHttpResponse> current() {
    return CompletableFuture.supplyAsync(
        () -> {
          ObjectNode out = describe(policy.get());
          Path file = policy.config().policyFile();
          if (file != null) {
            ObjectNode node = out.putObject("file");
            node.put("path", file.toString());
            try {
              node.put("text", Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
              node.put("error", "cannot read: " + e.getMessage());
            }
          }
          return json(HttpResponseStatus.OK, out);
        },
        blocking);
  }

  /**
   * {@code POST /api/policy/check} {@code {"policy": "<yaml>", "claims": {...}, "request": {...}}}:
   * the draft's version and rules, and, given claims and a request, the decision with every rule
   * tried; 400 with the source, line, rule and problem when the draft does not compile.
   */
  CompletableFuture<FullHttpResponse> check(ByteBufAllocator alloc, String body) {
    JsonNode json = body(body);
    String draft = draft(json);
    return CompletableFuture.supplyAsync(
        () -> {
          Policy compiled;
          try {
            compiled = policy.check(draft);
          } catch (PolicyException e) {
            return refused(alloc, e);
          }
          ObjectNode out = describe(compiled);
          if (json.has("claims") || json.has("request")) {
            try {
              out.set("trial", trial(compiled, json));
            } catch (RuntimeException e) {
              log.warn("policy check: the trial failed", e);
              throw e;
            }
          }
          return json(HttpResponseStatus.OK, out);
        },
        blocking);
  }

  /**
   * {@code POST /api/policy} {@code {"policy": "<yaml>"}}: the draft is checked, written to the
   * policy file (atomically) and reloaded; 400 and nothing written when it does not compile, 409
   * when the gateway does not run from a policy file.
   */
  CompletableFuture<FullHttpResponse> save(ByteBufAllocator alloc, String body, Identity admin) {
    String draft = draft(body(body));
    if (!policy.fromFile()) {
      return CompletableFuture.completedFuture(
          conflict(
              "This gateway does not run from a policy file (JITGW_POLICY_FILE is unset), so there"
                  + " is no file to save a draft to; it runs the built-in policy."));
    }
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            Policy saved = policy.replace(draft);
            log.info(
                "policy saved through the admin API by {}: version {}",
                admin.subject(),
                saved.version());
            return json(HttpResponseStatus.OK, describe(saved));
          } catch (PolicyException e) {
            return refused(alloc, e);
          } catch (IOException e) {
            throw new GatewayException(
                ErrorCode.INTERNAL, "The policy file could not be written: " + e.getMessage());
          }
        },
        blocking);
  }

  /** The decision for the sample {@code claims} and {@code request}, with each rule's trace. */
  private ObjectNode trial(Policy compiled, JsonNode json) {
    Instant now = clock.instant();
    @SuppressWarnings("unchecked")
    Map<String, Object> claims = JSON.convertValue(json.path("claims"), Map.class);
    if (claims == null) {
      claims = Map.of();
    }
    Identity identity = PolicyTrial.identity(claims, groupsClaim(claims.get("iss")), now);
    ObjectNode out = JSON.createObjectNode();
    ObjectNode who = out.putObject("identity");
    who.put("sub", identity.subject());
    who.put("iss", identity.issuer());
    who.set("groups", JSON.valueToTree(identity.groups()));
    byte[] request;
    try {
      // A string is the body as sent (it may not even be JSON); an object is serialized.
      request =
          json.path("request").isTextual()
              ? json.path("request").textValue().getBytes(StandardCharsets.UTF_8)
              : JSON.writeValueAsBytes(json.path("request"));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    RequestSummary summary;
    try {
      summary =
          new RequestSummaryParser(policy.config().pricing().priceTable())
              .parse(
                  json.path("method").asText("POST"),
                  json.path("path").asText("/v1/messages"),
                  List.of(Map.entry("content-type", "application/json")),
                  new ByteArrayInputStream(request),
                  request.length);
    } catch (GatewayException e) {
      // The gateway refuses such a request before any rule sees it, as `policy test` says.
      ObjectNode decision = out.putObject("decision");
      decision.put("kind", "refused");
      decision.put("status", e.error().status());
      decision.put("error_code", e.error().code().code());
      decision.put(
          "text", e.error().status() + " " + e.error().code().code() + ": " + e.getMessage());
      out.putArray("trace");
      return out;
    }
    PolicyTrial.Result result = PolicyTrial.run(compiled, identity, summary, now);
    ObjectNode decision = out.putObject("decision");
    Decision made = result.decision();
    decision.put("kind", kind(made));
    made.rule().ifPresent(rule -> decision.put("rule", rule));
    decision.put("text", PolicyTrial.describe(made));
    ArrayNode trace = out.putArray("trace");
    for (PolicyTrial.Step step : result.steps()) {
      ObjectNode node = trace.addObject();
      node.put("rule", step.rule());
      node.put("outcome", step.outcome().name().toLowerCase(java.util.Locale.ROOT));
      if (step.detail() != null && !step.detail().isEmpty()) {
        node.put("detail", step.detail());
      }
      ArrayNode parts = node.putArray("parts");
      for (RuleExplainer.Part part : step.parts()) {
        parts.addObject().put("expression", part.expression()).put("value", part.value());
      }
    }
    return out;
  }

  /** The groups claim of the issuer the sample names, as the token verifier would read it. */
  private String groupsClaim(Object issuer) {
    return policy.config().identity().issuers().stream()
        .filter(config -> config.issuer().equals(issuer))
        .map(IssuerConfig::groupsClaim)
        .findFirst()
        .orElse("groups");
  }

  static ObjectNode describe(Policy current) {
    ObjectNode out = JSON.createObjectNode();
    out.put("source", current.source());
    out.put("version", current.version());
    ArrayNode rules = out.putArray("rules");
    for (Policy.Rule rule : current.rules()) {
      ObjectNode node = rules.addObject();
      node.put("name", rule.name());
      node.put("line", rule.line());
      node.put("when", rule.when());
      node.put("outcome", outcome(rule.outcome()));
    }
    ArrayNode federation = out.putArray("federation");
    current.federation().forEach(profile -> federation.add(profile.id()));
    return out;
  }

  private static String outcome(Decision decision) {
    return decision instanceof Decision.Allow
        ? "allow"
        : decision instanceof Decision.Hold ? "approve" : "deny";
  }

  private static String kind(Decision decision) {
    return decision instanceof Decision.Allow
        ? "allow"
        : decision instanceof Decision.Hold ? "hold" : "deny";
  }

  private static JsonNode body(String body) {
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (IOException e) {
      throw new GatewayException(
          ErrorCode.INVALID_JSON, "The body is not JSON; expected {\"policy\": \"<yaml>\", ...}.");
    }
    if (json == null || !json.isObject()) {
      throw new GatewayException(
          ErrorCode.INVALID_JSON,
          "The body is not a JSON object; expected {\"policy\": \"<yaml>\", ...}.");
    }
    return json;
  }

  private static String draft(JsonNode json) {
    JsonNode draft = json.get("policy");
    if (draft == null || !draft.isTextual() || draft.textValue().isBlank()) {
      throw new GatewayException(
          ErrorCode.BAD_REQUEST, "policy: missing (expected the policy file's YAML as a string).");
    }
    if (json.has("claims") && !json.get("claims").isObject()) {
      throw new GatewayException(ErrorCode.BAD_REQUEST, "claims: expected a JSON object.");
    }
    if (json.has("request")
        && !json.get("request").isObject()
        && !json.get("request").isTextual()) {
      throw new GatewayException(
          ErrorCode.BAD_REQUEST, "request: expected a JSON object, or the body as a string.");
    }
    return draft.textValue();
  }

  /** 400 in the gateway's error shape, with where the draft went wrong as details. */
  private static FullHttpResponse refused(ByteBufAllocator alloc, PolicyException e) {
    GatewayError error = GatewayError.of(ErrorCode.BAD_REQUEST, e.getMessage());
    Matcher located = LOCATED.matcher(e.getMessage());
    if (located.matches()) {
      error = error.withDetail("source", located.group("source"));
      if (located.group("line") != null) {
        error = error.withDetail("line", Integer.parseInt(located.group("line")));
      }
      if (located.group("rule") != null) {
        error = error.withDetail("rule", located.group("rule"));
      }
      error = error.withDetail("problem", located.group("problem"));
    }
    return dev.jitgw.server.http.ErrorResponses.of(alloc, error, null, false);
  }

  /**
   * 409 in the gateway's error shape. {@link ErrorCode} has no general conflict code (its codes are
   * the contract's), so this one is written here, as {@code policy_not_from_file}.
   */
  private static FullHttpResponse conflict(String message) {
    ObjectNode body = JSON.createObjectNode();
    body.put("type", "error");
    ObjectNode error = body.putObject("error");
    error.put("type", "invalid_request_error");
    error.put("message", message);
    error.putObject("details").put("error_code", "policy_not_from_file");
    return json(HttpResponseStatus.CONFLICT, body);
  }

  private static FullHttpResponse json(HttpResponseStatus status, JsonNode body) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    return response;
  }
}
