package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bodies two parsers could read two ways, or not at all: one row per body. Each gets 400 {@code
 * invalid_json} in the contract's shape, nothing reaches the upstream, and the attempt is in the
 * audit log (the request as sent, the 400 the caller got, and how it ended).
 */
class MalformedBodyTest {
  @RegisterExtension static final GatewayHarness harness = new GatewayHarness();

  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static final String PREFIX = "{\"model\":\"claude-test-1\",\"max_tokens\":16,";
  private static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  static Stream<Arguments> bodies() {
    return Stream.of(
        row("truncated after a value", PREFIX + MESSAGES.substring(0, MESSAGES.length() - 2)),
        row("truncated inside a string", "{\"model\":\"claude-te"),
        row("truncated inside a skipped object", PREFIX + "\"metadata\":{\"user_id\":"),
        row("empty top-level object cut", "{"),
        row("top-level array", "[" + PREFIX + MESSAGES + "}]"),
        row("content after the value", PREFIX + MESSAGES + "} {}"),
        row("NaN literal", PREFIX + "\"temperature\":NaN," + MESSAGES + "}"),
        row("single-quoted string", PREFIX + "'messages':[]}"),
        row(
            "deep nesting in a skipped field",
            PREFIX + "\"metadata\":" + "[".repeat(300) + "]".repeat(300) + "," + MESSAGES + "}"),
        row(
            "deep nesting in message content",
            PREFIX
                + "\"messages\":[{\"role\":\"user\",\"content\":"
                + "{\"a\":".repeat(300)
                + "1"
                + "}".repeat(300)
                + "}]}"),
        row(
            "huge integer max_tokens",
            PREFIX.replace("16", "1" + "0".repeat(400)) + MESSAGES + "}"),
        row(
            "huge number in a skipped field",
            PREFIX + "\"temperature\":0." + "3".repeat(400) + "," + MESSAGES + "}"),
        row(
            "huge negative integer in metadata",
            PREFIX + "\"metadata\":{\"n\":-" + "9".repeat(1000) + "}," + MESSAGES + "}"),
        row(
            "duplicate top-level model",
            PREFIX + "\"model\":\"claude-opus-4-1\"," + MESSAGES + "}"),
        row(
            "duplicate role in a message",
            PREFIX
                + "\"messages\":[{\"role\":\"user\",\"role\":\"assistant\",\"content\":\"hi\"}]}"),
        row(
            "duplicate key in a skipped object",
            PREFIX + "\"metadata\":{\"user_id\":\"a\",\"user_id\":\"b\"}," + MESSAGES + "}"),
        row("duplicate stream flag", PREFIX + "\"stream\":false,\"stream\":true," + MESSAGES + "}"),
        utf8Row("lone continuation byte", new byte[] {(byte) 0x80}),
        utf8Row("byte 0xFF", new byte[] {(byte) 0xFF}),
        utf8Row("truncated two-byte sequence", new byte[] {(byte) 0xC3}),
        utf8Row("truncated three-byte sequence", new byte[] {(byte) 0xE2, (byte) 0x82}),
        utf8Row("overlong slash", new byte[] {(byte) 0xC0, (byte) 0xAF}),
        utf8Row("overlong three-byte NUL", new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0x80}),
        utf8Row("UTF-8-encoded surrogate", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}),
        utf8Row(
            "code point above U+10FFFF",
            new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}),
        Arguments.of(
            "invalid UTF-8 in a skipped string",
            concat(
                (PREFIX + "\"metadata\":{\"user_id\":\"a").getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC0, (byte) 0xAF},
                ("\"}," + MESSAGES + "}").getBytes(StandardCharsets.UTF_8))),
        Arguments.of(
            "invalid UTF-8 in a key",
            concat(
                (PREFIX + "\"x").getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xFF},
                ("\":1," + MESSAGES + "}").getBytes(StandardCharsets.UTF_8))));
  }

  private static Arguments row(String name, String body) {
    return Arguments.of(name, body.getBytes(StandardCharsets.UTF_8));
  }

  /** A valid Messages body whose user text carries {@code bad} between two letters. */
  private static Arguments utf8Row(String name, byte[] bad) {
    return Arguments.of(
        "invalid UTF-8 in message text: " + name,
        concat(
            (PREFIX + "\"messages\":[{\"role\":\"user\",\"content\":\"a")
                .getBytes(StandardCharsets.UTF_8),
            bad,
            "b\"}]}".getBytes(StandardCharsets.UTF_8)));
  }

  /** The request body as its records hold it: in the request record, or in its parts. */
  private static byte[] recordedBody(List<JsonNode> records) {
    JsonNode request = records.get(0);
    boolean base64 = request.path("body_encoding").asText().equals("base64");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    java.util.function.Consumer<String> add =
        data ->
            out.writeBytes(
                base64
                    ? java.util.Base64.getDecoder().decode(data)
                    : data.getBytes(StandardCharsets.UTF_8));
    if (request.has("body")) {
      add.accept(request.get("body").asText());
    }
    for (JsonNode record : records) {
      if (record.path("type").asText().equals("request_body")) {
        add.accept(record.get("data").asText());
      }
    }
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bodies")
  void refusedWith400NeverForwardedAndAudited(String name, byte[] body) throws Exception {
    int before = harness.upstream().requests().size();
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/v1/messages"))
                .header("authorization", "Bearer " + harness.token())
                .header("content-type", "application/json")
                .header("anthropic-version", "2023-06-01")
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).as(name).isEqualTo(400);
    String id = response.headers().firstValue("jitgw-exchange-id").orElseThrow();
    JsonNode json = FakeClaudeUpstream.JSON.readTree(response.body());
    assertThat(json.path("type").asText()).isEqualTo("error");
    assertThat(json.path("request_id").asText()).isEqualTo(id);
    assertThat(json.path("error").path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(json.path("error").path("details").path("error_code").asText())
        .as(name)
        .isEqualTo("invalid_json");
    assertThat(json.path("error").path("message").asText()).contains("not forwarded");
    assertThat(harness.upstream().requests()).as(name + ": upstream saw nothing").hasSize(before);

    List<JsonNode> records = AuditRecords.ended(harness, id);
    assertThat(AuditRecords.types(records)).as(name).startsWith("request");
    JsonNode request = records.get(0);
    assertThat(recordedBody(records)).as(name + ": the body as received").isEqualTo(body);
    assertThat(request.path("identity").path("sub").asText()).isEqualTo("alice");
    assertThat(request.path("path").asText()).isEqualTo("/v1/messages");
    assertThat(AuditRecords.first(records, "response_head").path("status").asInt()).isEqualTo(400);
    JsonNode end = AuditRecords.end(records);
    assertThat(end.path("type").asText()).isEqualTo("response_end");
    assertThat(end.path("outcome").asText()).isEqualTo("error");
    assertThat(end.path("error").asText()).isEqualTo("invalid_json");
  }
}
