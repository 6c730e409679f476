package dev.jitgw.audit.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.audit.replay.ExchangeTimeline;
import dev.jitgw.audit.store.RocksAuditLog;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExchangeRecorderTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Identity ALICE =
      identity("alice", "https://idp.test", List.of("dev"), Optional.of("ticket-1"));

  @TempDir Path dataDir;
  private RocksAuditLog auditLog;

  @BeforeEach
  void open() throws Exception {
    auditLog =
        RocksAuditLog.open(
            RocksAuditLog.Settings.inDataDirectory(
                dataDir, "test/audit", Duration.ofHours(1), Clock.systemUTC()));
  }

  @AfterEach
  void close() {
    auditLog.close();
  }

  private List<JsonNode> records() throws Exception {
    List<JsonNode> records = new ArrayList<>();
    List<byte[]> raw = new ArrayList<>();
    auditLog.forEachRecord(0, auditLog.size(), raw::add);
    for (byte[] record : raw) {
      assertThat(record.length).isLessThanOrEqualTo(64 * 1024);
      records.add(JSON.readTree(record));
    }
    return records;
  }

  private static byte[] decode(String encoding, String data) {
    return encoding.equals("base64") ? Base64.getDecoder().decode(data) : data.getBytes(UTF_8);
  }

  /** What the caller received, as the replay reassembles it from the chunk records. */
  private static byte[] received(List<JsonNode> records) {
    return ExchangeTimeline.of(records).body();
  }

  @Test
  void aLargeTextBodyIsSplitIntoPartsThatReassembleExactlyFollowedByTheDecision() throws Exception {
    String prompt =
        "{\"model\":\"claude-test\",\"text\":\"" + "héllo wörld ✓ ".repeat(6000) + "\"}";
    byte[] body = prompt.getBytes(UTF_8);
    ExchangeRecorder recorder = new ExchangeRecorder(auditLog, "EX1", System.nanoTime());

    recorder
        .request(
            ALICE,
            "POST",
            "/v1/messages?beta=true",
            Map.of("content-type", "application/json"),
            body,
            null,
            new Decision.Allow("everyone", List.of("pii"), Optional.empty(), Optional.empty()),
            "v-123")
        .join();

    List<JsonNode> records = records();
    JsonNode request = records.get(0);
    assertThat(request.get("type").asText()).isEqualTo("request");
    assertThat(request.get("identity").get("purpose").asText()).isEqualTo("ticket-1");
    assertThat(request.get("body_encoding").asText()).isEqualTo("utf-8");
    int parts = request.get("body_parts").asInt();
    assertThat(parts).isGreaterThan(2);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    for (int i = 1; i <= parts; i++) {
      assertThat(records.get(i).get("part").asInt()).isEqualTo(i - 1);
      joined.writeBytes(records.get(i).get("data").asText().getBytes(UTF_8));
    }
    assertThat(joined.toByteArray()).isEqualTo(body);
    JsonNode decision = records.get(parts + 1);
    assertThat(decision.get("type").asText()).isEqualTo("decision");
    assertThat(decision.get("rule").asText()).isEqualTo("everyone");
    assertThat(decision.get("policy_version").asText()).isEqualTo("v-123");
  }

  @Test
  void aBodyOfCharactersOutsideTheBmpFitsItsRecordsAsText() throws Exception {
    // Jackson's string writer escapes each such character as two \\uXXXX (12 bytes for 4): a
    // 32 KiB part of them came to 96 KiB, past the record cap. The bytes are now written as they
    // are, so a part's record is as long as its escaped bytes.
    byte[] body = ("{\"text\":\"" + "\ud83d\ude00".repeat(20_000) + "\"}").getBytes(UTF_8);
    new ExchangeRecorder(auditLog, "EX3", System.nanoTime())
        .request(ALICE, "POST", "/v1/messages", Map.of(), body, null, null, null)
        .join();

    List<JsonNode> records = records();
    assertThat(records.get(0).get("body_encoding").asText()).isEqualTo("utf-8");
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    records.stream()
        .skip(1)
        .forEach(r -> joined.writeBytes(r.get("data").asText().getBytes(UTF_8)));
    assertThat(joined.toByteArray()).isEqualTo(body);
  }

  @Test
  void aBodyUpToTheInlineSizeIsCarriedInTheRequestRecordAndALargerOneInParts() throws Exception {
    // Encoded lengths: a quote escapes to two bytes, so the limit is met with escapes counted.
    String atLimit = "\"".repeat(ExchangeRecorder.MAX_INLINE_BODY_BYTES / 2);
    String overLimit = atLimit + "x";
    byte[] binary = {(byte) 0xff, 0, 1};
    new ExchangeRecorder(auditLog, "EX4", System.nanoTime())
        .request(ALICE, "POST", "/v1/messages", Map.of(), atLimit.getBytes(UTF_8), null, null, null)
        .join();
    new ExchangeRecorder(auditLog, "EX5", System.nanoTime())
        .request(
            ALICE, "POST", "/v1/messages", Map.of(), overLimit.getBytes(UTF_8), null, null, null)
        .join();
    new ExchangeRecorder(auditLog, "EX6", System.nanoTime())
        .request(ALICE, "POST", "/v1/files", Map.of(), binary, null, null, null)
        .join();
    new ExchangeRecorder(auditLog, "EX7", System.nanoTime())
        .request(ALICE, "GET", "/v1/models", Map.of(), new byte[0], null, null, null)
        .join();

    List<JsonNode> records = records();
    assertThat(records)
        .extracting(r -> r.get("type").asText())
        .containsExactly("request", "request", "request_body", "request", "request");
    assertThat(records.get(0).get("body_parts").asInt()).isZero();
    assertThat(records.get(0).get("body").asText()).isEqualTo(atLimit);
    assertThat(records.get(1).get("body_parts").asInt()).isEqualTo(1);
    assertThat(records.get(1).has("body")).isFalse();
    assertThat(records.get(2).get("data").asText()).isEqualTo(overLimit);
    assertThat(records.get(3).get("body_encoding").asText()).isEqualTo("base64");
    assertThat(Base64.getDecoder().decode(records.get(3).get("body").asText())).isEqualTo(binary);
    assertThat(records.get(4).get("body").asText()).isEmpty();
    assertThat(records.get(4).get("body_size").asInt()).isZero();
  }

  @Test
  void withEveryFieldAtItsShareASmallBodyStillGoesInTheRequestRecord() throws Exception {
    // The shares leave room for the largest inline body: headers of quotes (2 bytes each) at
    // 24 KiB, a path at 16 KiB, groups at 8 KiB, sub, iss and purpose at 1 KiB, model and method
    // cut (found in review: a long method, which only the request line's limit bounds, pushed a
    // record past the cap).
    List<String> groups = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      groups.add("group-" + i);
    }
    Identity full =
        identity("s".repeat(2_000), "i".repeat(2_000), groups, Optional.of("p".repeat(2_000)));
    Map<String, String> headers = Map.of("x-q", "\"".repeat(12_282));
    String uri = "/v1/messages?" + "a".repeat(16_371);
    byte[] body = ("{\"x\":\"" + "\\".repeat(4_090) + "\"}").getBytes(UTF_8); // 8 KiB escaped
    ExchangeRecorder recorder = new ExchangeRecorder(auditLog, "EX8", System.nanoTime());

    recorder
        .request(
            full, "M".repeat(70_000), uri, headers, body, summary("m".repeat(1_000)), null, null)
        .join();

    assertThat(recorder.recorded()).isTrue();
    List<JsonNode> records = records();
    assertThat(records).extracting(r -> r.get("type").asText()).containsExactly("request");
    JsonNode request = records.get(0);
    assertThat(request.get("body_parts").asInt()).isZero();
    assertThat(request.get("body").asText().getBytes(UTF_8)).isEqualTo(body);
    assertThat(request.get("headers").has("x-q")).isTrue(); // at its share, not over it
    assertThat(request.get("path").asText()).isEqualTo(uri);
    assertThat(request.get("method").asText()).hasSize(64);
    assertThat(request.get("method_length").asInt()).isEqualTo(70_000);
  }

  @Test
  void aBinaryBodyIsRecordedInBase64() throws Exception {
    byte[] body = new byte[70_000];
    new Random(7).nextBytes(body);
    new ExchangeRecorder(auditLog, "EX2", System.nanoTime())
        .request(ALICE, "POST", "/v1/files", Map.of(), body, null, null, null)
        .join();

    List<JsonNode> records = records();
    assertThat(records.get(0).get("body_encoding").asText()).isEqualTo("base64");
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    records.stream()
        .skip(1)
        .forEach(r -> joined.writeBytes(Base64.getDecoder().decode(r.get("data").asText())));
    assertThat(joined.toByteArray()).isEqualTo(body);
  }

  @Test
  void piecesSplitInsideACharacterAndLargeWritesReassembleByteExact() throws Exception {
    ExchangeRecorder recorder = new ExchangeRecorder(auditLog, "EX3", System.nanoTime());
    recorder.request(ALICE, "POST", "/v1/messages", Map.of(), new byte[0], null, null, null).join();
    recorder.responseHead(200, Map.of("content-type", "text/event-stream"));
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    byte[] text = "data: {\"text\":\"naïve ✓ 🎉\"}\n\n".getBytes(UTF_8);
    // cut every write one byte later, so cuts fall inside two-, three- and four-byte characters
    for (int cut = 1; cut < text.length; cut++) {
      byte[] first = java.util.Arrays.copyOfRange(text, 0, cut);
      byte[] second = java.util.Arrays.copyOfRange(text, cut, text.length);
      recorder.piece(first);
      recorder.piece(second);
      sent.writeBytes(text);
    }
    byte[] large = ("x".repeat(99) + "é").repeat(1000).getBytes(UTF_8);
    recorder.piece(large);
    sent.writeBytes(large);
    recorder.end("complete", 200, Map.of("output_tokens", 12L), null);
    auditLog.close();
    open();

    List<JsonNode> records = records();
    assertThat(received(records)).isEqualTo(sent.toByteArray());
    assertThat(records)
        .filteredOn(r -> r.get("type").asText().equals("response_chunk"))
        .allMatch(r -> r.get("encoding").asText().equals("utf-8"));
    JsonNode end = records.get(records.size() - 1);
    assertThat(end.get("type").asText()).isEqualTo("response_end");
    assertThat(end.get("bytes").asLong()).isEqualTo(sent.size());
    assertThat(end.get("usage").get("output_tokens").asLong()).isEqualTo(12);
  }

  @Test
  void bytesThatAreNotTextAreRecordedInBase64AndAnUnfinishedCharacterIsKeptAtTheEnd()
      throws Exception {
    ExchangeRecorder recorder = new ExchangeRecorder(auditLog, "EX4", System.nanoTime());
    recorder.request(ALICE, "GET", "/v1/models", Map.of(), new byte[0], null, null, null).join();
    byte[] gzip = {0x1f, (byte) 0x8b, 0x08, 0, 0, 0, 0, 0, (byte) 0xff, 0x01, (byte) 0xe2};
    recorder.piece(gzip);
    recorder.end("aborted", 200, null, "the caller left");
    auditLog.close();
    open();

    List<JsonNode> records = records();
    assertThat(received(records)).isEqualTo(gzip);
    assertThat(records.get(records.size() - 1).get("error").asText()).isEqualTo("the caller left");
  }

  @Test
  void headersThatWouldPushTheRequestRecordOverItsCapAreCountedNotRecorded() throws Exception {
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    headers.put("anthropic-version", "2023-06-01");
    for (int i = 0; i < 10; i++) {
      headers.put("x-big-" + i, "v".repeat(8_000));
    }
    ExchangeRecorder recorder = new ExchangeRecorder(auditLog, "EX5", System.nanoTime());

    recorder.request(ALICE, "POST", "/v1/messages", headers, new byte[0], null, null, null).join();

    JsonNode request = records().get(0);
    assertThat(request.get("headers").has("anthropic-version")).isTrue();
    assertThat(request.get("headers_omitted").asInt()).isEqualTo(7); // 3 of 8 KB fit in 24 KiB
    assertThat(recorder.recorded()).isTrue();
  }

  @Test
  void aRequestRecordStaysUnderItsCapWhateverItsFieldsHold() throws Exception {
    // Every variable field at its worst: chars that take 2 to 6 bytes once escaped.
    List<String> groups = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      groups.add("\"\\" + i);
    }
    Identity mallory =
        identity(
            "\"".repeat(5_000), "\u0001".repeat(5_000), groups, Optional.of("é".repeat(3_000)));
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    headers.put("anthropic-version", "2023-06-01");
    headers.put("x-q", "\"".repeat(24_567));
    String uri = "/v1/messages?" + "é".repeat(16_000);
    String model = "\u0002".repeat(100_000);
    byte[] body = ("{\"x\":\"" + "a".repeat(8_000) + "\"}").getBytes(UTF_8);
    ExchangeRecorder recorder = new ExchangeRecorder(auditLog, "EX9", System.nanoTime());

    recorder.request(mallory, "POST", uri, headers, body, summary(model), null, null).join();

    assertThat(recorder.recorded()).isTrue();
    JsonNode request = records().get(0);
    JsonNode identity = request.get("identity");
    assertThat(identity.get("sub_length").asInt()).isEqualTo(5_000);
    assertThat(mallory.subject()).startsWith(identity.get("sub").asText());
    assertThat(identity.get("sub").asText()).hasSize(512); // 2 bytes each in 1 KiB
    assertThat(identity.get("iss_length").asInt()).isEqualTo(5_000);
    assertThat(identity.get("iss").asText()).hasSize(170); // 6 bytes each
    assertThat(identity.get("purpose_length").asInt()).isEqualTo(3_000);
    assertThat(identity.get("groups_omitted").asInt()).isPositive();
    assertThat(request.get("path_length").asInt()).isEqualTo(uri.length());
    assertThat(uri).startsWith(request.get("path").asText());
    assertThat(request.get("headers").has("anthropic-version")).isTrue();
    assertThat(request.get("headers_omitted").asInt()).isEqualTo(1);
    assertThat(request.get("model_length").asInt()).isEqualTo(100_000);
    assertThat(model).startsWith(request.get("model").asText());
  }

  @Test
  void aLoneSurrogateInAClaimIsRecordedAsItCame() throws Exception {
    // A token's JSON may carry "\ud800" in a claim: the record keeps it, escaped.
    Identity odd =
        identity("a\ud800b", "https://idp.test", List.of("g\udc00", "🎉"), Optional.empty());
    ExchangeRecorder recorder = new ExchangeRecorder(auditLog, "EX10", System.nanoTime());

    recorder.request(odd, "GET", "/v1/models", Map.of(), new byte[0], null, null, null).join();

    JsonNode identity = records().get(0).get("identity");
    assertThat(identity.get("sub").asText()).isEqualTo("a\ud800b");
    assertThat(identity.get("groups").get(0).asText()).isEqualTo("g\udc00");
    assertThat(identity.get("groups").get(1).asText()).isEqualTo("🎉");
    assertThat(recorder.recorded()).isTrue();
  }

  private static RequestSummary summary(String model) {
    return new RequestSummary(
        "POST", "/v1/messages", Map.of(), model, 100, false, List.of(), List.of(), "", "", 0, 0, 0);
  }

  /** An identity verified at a fixed time, with no claims beyond these. */
  private static Identity identity(
      String sub, String iss, List<String> groups, Optional<String> purpose) {
    return new Identity(
        sub,
        iss,
        groups,
        purpose,
        Map.of(),
        Instant.parse("2026-11-29T06:00:00Z"),
        Optional.empty());
  }
}
