package dev.jitgw.policy.approval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The JSON form of approvals and grants, written and read by hand so that the admin API (any {@code
 * ObjectMapper}, through the records' annotations) and the store files share one shape that no
 * mapper setting can change. docs/approvals.md documents it.
 */
final class ApprovalJson {
  private ApprovalJson() {}

  static void write(JsonGenerator json, Approval approval) throws IOException {
    json.writeStartObject();
    json.writeStringField("id", approval.id());
    json.writeStringField("state", approval.state().id());
    writeSubject(json, "subject", approval.subject(), approval.subjectDisplay());
    json.writeStringField("rule", approval.rule());
    writeStrings(json, "approvers", approval.approvers());
    json.writeNumberField("min_approvals", approval.minApprovals());
    if (approval.grant().isPresent()) {
      json.writeNumberField("grant_seconds", approval.grant().get().toSeconds());
    } else {
      json.writeNullField("grant_seconds");
    }
    Approval.Request request = approval.request();
    json.writeObjectFieldStart("request");
    json.writeStringField("method", request.method());
    json.writeStringField("path", request.path());
    json.writeStringField("model", request.model());
    json.writeNumberField("max_tokens", request.maxTokens());
    json.writeBooleanField("stream", request.stream());
    writeStrings(json, "tools", request.tools());
    writeStrings(json, "skills", request.skills());
    json.writeStringField("preview", request.preview());
    json.writeNumberField("estimated_cost_usd", request.estimatedCostUsd());
    json.writeEndObject();
    json.writeStringField("body_sha256", approval.bodySha256());
    json.writeStringField("exchange_id", approval.exchangeId());
    json.writeStringField("created_at", approval.createdAt().toString());
    json.writeStringField("expires_at", approval.expiresAt().toString());
    if (approval.decidedAt().isPresent()) {
      json.writeStringField("decided_at", approval.decidedAt().get().toString());
    } else {
      json.writeNullField("decided_at");
    }
    json.writeArrayFieldStart("decisions");
    for (Approval.Vote vote : approval.decisions()) {
      json.writeStartObject();
      writeSubject(json, "approver", vote.approver(), vote.approverDisplay());
      json.writeStringField("decision", vote.choice().id());
      json.writeStringField("reason", vote.reason());
      json.writeStringField("at", vote.at().toString());
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeNumberField("revision", approval.revision());
    json.writeEndObject();
  }

  static void write(JsonGenerator json, Grant grant) throws IOException {
    json.writeStartObject();
    json.writeStringField("id", grant.id());
    writeSubject(json, "subject", grant.subject(), null);
    json.writeStringField("rule", grant.rule());
    json.writeStringField("created_at", grant.createdAt().toString());
    json.writeStringField("until", grant.until().toString());
    json.writeStringField("approval_id", grant.approvalId());
    json.writeEndObject();
  }

  /**
   * @throws IllegalArgumentException naming the field that is missing or malformed
   */
  static Approval readApproval(JsonNode node) {
    String id = text(node, "id");
    try {
      JsonNode subject = object(node, "subject");
      JsonNode request = object(node, "request");
      JsonNode grant = node.path("grant_seconds");
      JsonNode decided = node.path("decided_at");
      List<Approval.Vote> votes = new ArrayList<>();
      for (JsonNode vote : array(node, "decisions")) {
        JsonNode approver = object(vote, "approver");
        votes.add(
            new Approval.Vote(
                readSubject(approver),
                text(approver, "display"),
                Approval.Choice.fromId(text(vote, "decision")),
                text(vote, "reason"),
                instant(vote, "at")));
      }
      return new Approval(
          id,
          Approval.State.fromId(text(node, "state")),
          readSubject(subject),
          text(subject, "display"),
          text(node, "rule"),
          strings(node, "approvers"),
          (int) integer(node, "min_approvals"),
          grant.isMissingNode() || grant.isNull()
              ? Optional.empty()
              : Optional.of(Duration.ofSeconds(integer(node, "grant_seconds"))),
          new Approval.Request(
              text(request, "method"),
              text(request, "path"),
              text(request, "model"),
              integer(request, "max_tokens"),
              bool(request, "stream"),
              strings(request, "tools"),
              strings(request, "skills"),
              text(request, "preview"),
              number(request, "estimated_cost_usd")),
          text(node, "body_sha256"),
          text(node, "exchange_id"),
          instant(node, "created_at"),
          instant(node, "expires_at"),
          votes,
          decided.isMissingNode() || decided.isNull()
              ? Optional.empty()
              : Optional.of(instant(node, "decided_at")),
          (int) integer(node, "revision"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("approval " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * @throws IllegalArgumentException naming the field that is missing or malformed
   */
  static Grant readGrant(JsonNode node) {
    String id = text(node, "id");
    try {
      return new Grant(
          id,
          readSubject(object(node, "subject")),
          text(node, "rule"),
          instant(node, "created_at"),
          instant(node, "until"),
          text(node, "approval_id"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("grant " + id + ": " + e.getMessage(), e);
    }
  }

  private static void writeSubject(
      JsonGenerator json, String field, Subject subject, String display) throws IOException {
    json.writeObjectFieldStart(field);
    json.writeStringField("iss", subject.issuer());
    json.writeStringField("sub", subject.sub());
    if (display != null) {
      json.writeStringField("display", display);
    }
    json.writeEndObject();
  }

  private static void writeStrings(JsonGenerator json, String field, List<String> values)
      throws IOException {
    json.writeArrayFieldStart(field);
    for (String value : values) {
      json.writeString(value);
    }
    json.writeEndArray();
  }

  private static Subject readSubject(JsonNode node) {
    return new Subject(text(node, "iss"), text(node, "sub"));
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isTextual()) {
      throw new IllegalArgumentException(field + ": " + describe(value) + " (expected: a string)");
    }
    return value.asText();
  }

  private static long integer(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new IllegalArgumentException(
          field + ": " + describe(value) + " (expected: an integer)");
    }
    return value.asLong();
  }

  private static double number(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isNumber()) {
      throw new IllegalArgumentException(field + ": " + describe(value) + " (expected: a number)");
    }
    return value.asDouble();
  }

  private static boolean bool(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isBoolean()) {
      throw new IllegalArgumentException(field + ": " + describe(value) + " (expected: a boolean)");
    }
    return value.asBoolean();
  }

  private static Instant instant(JsonNode node, String field) {
    String value = text(node, field);
    try {
      return Instant.parse(value);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(
          field + ": '" + value + "' (expected: an RFC 3339 UTC time)", e);
    }
  }

  private static JsonNode object(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isObject()) {
      throw new IllegalArgumentException(field + ": " + describe(value) + " (expected: an object)");
    }
    return value;
  }

  private static JsonNode array(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isArray()) {
      throw new IllegalArgumentException(field + ": " + describe(value) + " (expected: an array)");
    }
    return value;
  }

  private static List<String> strings(JsonNode node, String field) {
    List<String> values = new ArrayList<>();
    for (JsonNode value : array(node, field)) {
      if (!value.isTextual()) {
        throw new IllegalArgumentException(
            field + ": " + describe(value) + " (expected: a list of strings)");
      }
      values.add(value.asText());
    }
    return values;
  }

  private static String describe(JsonNode value) {
    return value.isMissingNode() ? "missing" : value.getNodeType().name().toLowerCase(Locale.ROOT);
  }

  /** Lets any {@code ObjectMapper} write an {@link Approval} in this shape. */
  static final class ApprovalSerializer extends JsonSerializer<Approval> {
    @Override
    public void serialize(Approval value, JsonGenerator json, SerializerProvider provider)
        throws IOException {
      write(json, value);
    }
  }

  /** Lets any {@code ObjectMapper} read an {@link Approval} in this shape. */
  static final class ApprovalDeserializer extends JsonDeserializer<Approval> {
    @Override
    public Approval deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      JsonNode node = context.readTree(parser);
      try {
        return readApproval(node);
      } catch (IllegalArgumentException e) {
        throw JsonMappingException.from(parser, e.getMessage(), e);
      }
    }
  }

  /** Lets any {@code ObjectMapper} write a {@link Grant} in this shape. */
  static final class GrantSerializer extends JsonSerializer<Grant> {
    @Override
    public void serialize(Grant value, JsonGenerator json, SerializerProvider provider)
        throws IOException {
      write(json, value);
    }
  }

  /** Lets any {@code ObjectMapper} read a {@link Grant} in this shape. */
  static final class GrantDeserializer extends JsonDeserializer<Grant> {
    @Override
    public Grant deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      JsonNode node = context.readTree(parser);
      try {
        return readGrant(node);
      } catch (IllegalArgumentException e) {
        throw JsonMappingException.from(parser, e.getMessage(), e);
      }
    }
  }
}
