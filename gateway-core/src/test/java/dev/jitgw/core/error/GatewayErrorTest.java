package dev.jitgw.core.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GatewayErrorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EXCHANGE_ID = "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1W";

  /** Contract section 2, "Errors": every code with its HTTP status and Anthropic error type. */
  static final String CONTRACT =
      """
      BAD_REQUEST,                   400, invalid_request_error, bad_request
      INVALID_JSON,                  400, invalid_request_error, invalid_json
      MISSING_CREDENTIAL,            401, authentication_error,  missing_credential
      MALFORMED_TOKEN,               401, authentication_error,  malformed_token
      INVALID_TOKEN,                 401, authentication_error,  invalid_token
      TOKEN_EXPIRED,                 401, authentication_error,  token_expired
      TOKEN_NOT_YET_VALID,           401, authentication_error,  token_not_yet_valid
      TOKEN_LIFETIME_TOO_LONG,       401, authentication_error,  token_lifetime_too_long
      POLICY_DENIED,                 403, permission_error,      policy_denied
      APPROVAL_DENIED,               403, permission_error,      approval_denied
      APPROVAL_TIMEOUT,              403, permission_error,      approval_timeout
      APPROVAL_NOT_PENDING,          409, invalid_request_error, approval_not_pending
      FORBIDDEN,                     403, permission_error,      forbidden
      NOT_FOUND,                     404, not_found_error,       not_found
      REQUEST_TIMEOUT,               408, invalid_request_error, request_timeout
      REQUEST_TOO_LARGE,             413, request_too_large,     request_too_large
      URI_TOO_LONG,                  414, invalid_request_error, uri_too_long
      HEADERS_TOO_LARGE,             431, invalid_request_error, headers_too_large
      RATE_LIMITED,                  429, rate_limit_error,      rate_limited
      BUDGET_EXCEEDED,               429, rate_limit_error,      budget_exceeded
      UPSTREAM_UNAVAILABLE,          502, api_error,             upstream_unavailable
      UPSTREAM_TIMEOUT,              504, timeout_error,         upstream_timeout
      AUDIT_UNAVAILABLE,             503, api_error,             audit_unavailable
      MASKING_FAILED,                502, api_error,             masking_failed
      UPSTREAM_CREDENTIAL_MISSING,   503, api_error,             upstream_credential_missing
      IDENTITY_PROVIDER_UNAVAILABLE, 503, api_error,             identity_provider_unavailable
      SHUTTING_DOWN,                 503, overloaded_error,      shutting_down
      INTERNAL,                      500, api_error,             internal_error
      """;

  private static JsonNode parse(byte[] json) throws IOException {
    return JSON.readTree(json);
  }

  @ParameterizedTest(name = "{0}: {1} {2} {3}")
  @CsvSource(textBlock = CONTRACT)
  void everyCodeHasTheContractStatusAndType(
      ErrorCode code, int status, String type, String errorCode) throws IOException {
    assertThat(code.status()).isEqualTo(status);
    assertThat(code.type()).isEqualTo(type);
    assertThat(code.code()).isEqualTo(errorCode);

    GatewayError error = GatewayError.of(code, "something happened");
    assertThat(error.status()).isEqualTo(status);
    JsonNode body = parse(error.toJson(EXCHANGE_ID));
    assertThat(body.path("error").path("type").asText()).isEqualTo(type);
    assertThat(body.path("error").path("details").path("error_code").asText()).isEqualTo(errorCode);
  }

  @Test
  void theContractTableCoversEveryCode() {
    List<String> tabled =
        CONTRACT.lines().filter(l -> !l.isBlank()).map(l -> l.split(",")[0].trim()).toList();

    assertThat(tabled)
        .containsExactlyInAnyOrderElementsOf(
            Arrays.stream(ErrorCode.values()).map(Enum::name).toList());
  }

  @Test
  void errorCodesAreDistinct() {
    assertThat(Arrays.stream(ErrorCode.values()).map(ErrorCode::code)).doesNotHaveDuplicates();
  }

  @Test
  void onlyAuthenticationAndPermissionErrorsAreDenials() {
    assertThat(ErrorCode.INVALID_TOKEN.isDenial()).isTrue();
    assertThat(ErrorCode.POLICY_DENIED.isDenial()).isTrue();
    assertThat(ErrorCode.RATE_LIMITED.isDenial()).isFalse();
    assertThat(ErrorCode.UPSTREAM_UNAVAILABLE.isDenial()).isFalse();
    assertThat(ErrorCode.BAD_REQUEST.isDenial()).isFalse();
  }

  @Test
  void toJsonHasTheAnthropicErrorShape() throws IOException {
    GatewayError error =
        GatewayError.of(ErrorCode.POLICY_DENIED, "model claude-opus-4 is not allowed for team a");

    JsonNode body = parse(error.toJson(EXCHANGE_ID));

    assertThat(body.fieldNames()).toIterable().containsExactly("type", "error", "request_id");
    assertThat(body.get("type").asText()).isEqualTo("error");
    assertThat(body.get("request_id").asText()).isEqualTo(EXCHANGE_ID);
    JsonNode inner = body.get("error");
    assertThat(inner.fieldNames()).toIterable().containsExactly("type", "message", "details");
    assertThat(inner.get("type").asText()).isEqualTo("permission_error");
    assertThat(inner.get("message").asText())
        .isEqualTo("model claude-opus-4 is not allowed for team a");
    assertThat(inner.get("details").fieldNames()).toIterable().containsExactly("error_code");
    assertThat(inner.get("details").get("error_code").asText()).isEqualTo("policy_denied");
  }

  @Test
  void withoutAnExchangeIdThereIsNoRequestId() throws IOException {
    JsonNode body = parse(GatewayError.of(ErrorCode.BAD_REQUEST, "bad").toJson(null));

    assertThat(body.has("request_id")).isFalse();
    assertThat(body.path("error").path("details").path("error_code").asText())
        .isEqualTo("bad_request");
  }

  @Test
  void detailsKeepTheirJsonTypes() throws IOException {
    GatewayError error =
        GatewayError.of(ErrorCode.BUDGET_EXCEEDED, "monthly budget spent")
            .withDetail("limit_tokens", 1_000_000)
            .withDetail("used_tokens", 12_345_678_901L)
            .withDetail("spent_usd", 12.5)
            .withDetail("budget", "team-a/monthly")
            .withDetail("hard", true)
            .withDetail("file", Path.of("/etc/jitgw/policy.yaml"));

    JsonNode details = parse(error.toJson(EXCHANGE_ID)).path("error").path("details");

    assertThat(details.get("error_code").asText()).isEqualTo("budget_exceeded");
    assertThat(details.get("limit_tokens").isIntegralNumber()).isTrue();
    assertThat(details.get("limit_tokens").asLong()).isEqualTo(1_000_000L);
    assertThat(details.get("used_tokens").isIntegralNumber()).isTrue();
    assertThat(details.get("used_tokens").asLong()).isEqualTo(12_345_678_901L);
    assertThat(details.get("spent_usd").isFloatingPointNumber()).isTrue();
    assertThat(details.get("spent_usd").asDouble()).isEqualTo(12.5);
    assertThat(details.get("budget").isTextual()).isTrue();
    assertThat(details.get("budget").asText()).isEqualTo("team-a/monthly");
    assertThat(details.get("hard").isBoolean()).isTrue();
    assertThat(details.get("hard").asBoolean()).isTrue();
    assertThat(details.get("file").isTextual()).isTrue();
    assertThat(details.get("file").asText()).isEqualTo("/etc/jitgw/policy.yaml");
  }

  @Test
  void messagesWithQuotesNewlinesAndNonAsciiSurviveRendering() throws IOException {
    String message = "rule \"deny-opus\" matched\nline two\ttab \\ backslash – ünïcødé </script>";

    JsonNode body = parse(GatewayError.of(ErrorCode.POLICY_DENIED, message).toJson(EXCHANGE_ID));

    assertThat(body.path("error").path("message").asText()).isEqualTo(message);
  }

  @Test
  void withDetailReturnsACopy() {
    GatewayError original = GatewayError.of(ErrorCode.RATE_LIMITED, "slow down");

    GatewayError more = original.withDetail("retry_after_seconds", 3);

    assertThat(original.details()).isEmpty();
    assertThat(more.details()).containsExactly(Map.entry("retry_after_seconds", 3));
    assertThat(more.code()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(more.message()).isEqualTo("slow down");
  }

  @Test
  void detailsAreCopiedAndNullMeansNone() {
    Map<String, Object> details = new HashMap<>();
    details.put("a", 1);
    GatewayError error = new GatewayError(ErrorCode.INTERNAL, "oops", details);
    details.put("b", 2);

    assertThat(error.details()).containsOnlyKeys("a");
    assertThat(new GatewayError(ErrorCode.INTERNAL, "oops", null).details()).isEmpty();
  }

  @Test
  void codeMessageAndDetailValuesAreRequired() {
    assertThatThrownBy(() -> GatewayError.of(null, "m")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> GatewayError.of(ErrorCode.INTERNAL, null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> GatewayError.of(ErrorCode.INTERNAL, "m").withDetail("k", null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void sseEventIsOneErrorEventWithTheJsonAsData() throws IOException {
    GatewayError error =
        GatewayError.of(ErrorCode.UPSTREAM_TIMEOUT, "upstream stalled\nafter 5m")
            .withDetail("idle_timeout_ms", 300_000);

    String event = new String(error.toSseEvent(EXCHANGE_ID), StandardCharsets.UTF_8);

    assertThat(event).startsWith("event: error\ndata: ").endsWith("\n\n");
    // Exactly two lines: a newline in the message must not split the data line.
    String[] lines = event.substring(0, event.length() - 2).split("\n", -1);
    assertThat(lines).hasSize(2);
    assertThat(lines[0]).isEqualTo("event: error");
    JsonNode data = JSON.readTree(lines[1].substring("data: ".length()));
    assertThat(data.path("type").asText()).isEqualTo("error");
    assertThat(data.path("error").path("type").asText()).isEqualTo("timeout_error");
    assertThat(data.path("error").path("message").asText()).isEqualTo("upstream stalled\nafter 5m");
    assertThat(data.path("error").path("details").path("error_code").asText())
        .isEqualTo("upstream_timeout");
    assertThat(data.path("error").path("details").path("idle_timeout_ms").asLong())
        .isEqualTo(300_000L);
    assertThat(data.path("request_id").asText()).isEqualTo(EXCHANGE_ID);
  }

  @Test
  void sseDataIsExactlyTheJsonBody() {
    GatewayError error = GatewayError.of(ErrorCode.UPSTREAM_UNAVAILABLE, "connection refused");

    String event = new String(error.toSseEvent(EXCHANGE_ID), StandardCharsets.UTF_8);
    String json = new String(error.toJson(EXCHANGE_ID), StandardCharsets.UTF_8);

    assertThat(event).isEqualTo("event: error\ndata: " + json + "\n\n");
  }
}
