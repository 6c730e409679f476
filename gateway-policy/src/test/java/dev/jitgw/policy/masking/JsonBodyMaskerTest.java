package dev.jitgw.policy.masking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonBodyMaskerTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static final MaskingPolicy POLICY =
      MaskingPolicy.compile(
          PolicyYaml.masking(
              """
              masking:
                profiles:
                  pii: {detectors: [email, credit_card, us_ssn], fields: [ssn, Password]}
                  secrets: {detectors: [anthropic_api_key]}
                  nothink: {thinking: drop}
              """));

  static final MaskingProfile PROFILE = POLICY.profile(List.of("pii", "secrets"));

  static final String MESSAGE =
      """
      {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",
       "content":[
        {"type":"thinking","thinking":"mail is a@example.com","signature":"EqQBCgIYAhIM"},
        {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"},
        {"type":"text","text":"Reach john@example.com, card 4111 1111 1111 1111.",
         "citations":[{"type":"char_location","cited_text":"ssn 123-45-6789","document_index":0,
                       "document_title":"HR","start_char_index":0,"end_char_index":15}]},
        {"type":"tool_use","id":"toolu_01","name":"lookup",
         "input":{"query":"email bob@example.com","ssn":"123-45-6789",
                  "nested":[{"PASSWORD":{"any":"thing"}},"x@example.com",7]}},
        {"type":"web_search_tool_result","tool_use_id":"srvtoolu_01",
         "content":[{"type":"web_search_result","title":"Mail me: c@example.com",
                     "url":"https://example.com","encrypted_content":"a@example.com-opaque"}]}
       ],
       "stop_reason":"end_turn","stop_sequence":null,
       "usage":{"input_tokens":12,"output_tokens":6,"cost":1.50}}
      """;

  @Test
  void masksTextToolInputResultsAndFields() throws Exception {
    JsonBodyMasker.Result result = PROFILE.jsonBodyMasker().mask(bytes(MESSAGE));
    JsonNode body = JSON.readTree(result.body());
    assertThat(body.at("/content/2/text").asText())
        .isEqualTo("Reach [MASKED:email], card [MASKED:credit_card].");
    assertThat(body.at("/content/2/citations/0/cited_text").asText())
        .isEqualTo("ssn [MASKED:us_ssn]");
    assertThat(body.at("/content/3/input/query").asText()).isEqualTo("email [MASKED:email]");
    assertThat(body.at("/content/3/input/ssn").asText()).isEqualTo("[MASKED:field:ssn]");
    assertThat(body.at("/content/3/input/nested/0/PASSWORD").asText())
        .isEqualTo("[MASKED:field:password]");
    assertThat(body.at("/content/3/input/nested/1").asText()).isEqualTo("[MASKED:email]");
    assertThat(body.at("/content/3/input/nested/2").asInt()).isEqualTo(7);
    assertThat(body.at("/content/4/content/0/title").asText()).isEqualTo("Mail me: [MASKED:email]");
    // Ids, names and opaque data are never rewritten.
    assertThat(body.at("/content/4/content/0/encrypted_content").asText())
        .isEqualTo("a@example.com-opaque");
    assertThat(body.at("/content/3/id").asText()).isEqualTo("toolu_01");
    // Thinking is left by default; redacted thinking always.
    assertThat(body.at("/content/0/thinking").asText()).isEqualTo("mail is a@example.com");
    assertThat(body.at("/content/1/data").asText()).isEqualTo("EmwKAhgBEgy3va3pzix");
    // Numbers as written.
    assertThat(new String(result.body(), StandardCharsets.UTF_8)).contains("\"cost\":1.50");
    assertThat(result.counts())
        .isEqualTo(
            Map.of(
                "email", 4L,
                "credit_card", 1L,
                "us_ssn", 1L,
                "field:ssn", 1L,
                "field:password", 1L));
  }

  @Test
  void dropsThinkingWhenAProfileSaysSo() throws Exception {
    JsonBodyMasker.Result result =
        POLICY.profile(List.of("pii", "nothink")).jsonBodyMasker().mask(bytes(MESSAGE));
    JsonNode body = JSON.readTree(result.body());
    assertThat(body.at("/content/0"))
        .isEqualTo(
            JSON.readTree("{\"type\":\"redacted_thinking\",\"data\":\"[MASKED:thinking]\"}"));
    assertThat(new String(result.body(), StandardCharsets.UTF_8))
        .doesNotContain("mail is")
        .doesNotContain("EqQBCgIYAhIM");
    assertThat(result.counts()).containsEntry("thinking", 1L);
  }

  @Test
  void aBodyWithNothingToMaskComesBackByteForByte() throws Exception {
    byte[] body =
        bytes(
            "{ \"type\" : \"message\", \"content\" : [ {\"type\":\"text\",\"text\":\"Hi 1.0\"} ],"
                + " \"usage\": {\"input_tokens\": 1e2} }");
    JsonBodyMasker.Result result = PROFILE.jsonBodyMasker().mask(body);
    assertThat(result.body()).isSameAs(body);
    assertThat(result.changed()).isFalse();
  }

  @Test
  void otherJsonBodiesHaveFieldsMaskedAnywhere() throws Exception {
    byte[] body = bytes("{\"data\":[{\"ssn\":\"123-45-6789\",\"note\":\"a@example.com\"}]}");
    JsonNode masked = JSON.readTree(PROFILE.jsonBodyMasker().mask(body).body());
    assertThat(masked.at("/data/0/ssn").asText()).isEqualTo("[MASKED:field:ssn]");
    // Detectors apply to message content only.
    assertThat(masked.at("/data/0/note").asText()).isEqualTo("a@example.com");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "",
        "not json",
        "{\"type\":\"message\",\"content\":[",
        "{\"a\":1,\"a\":2}",
        "{\"a\":1} {\"b\":2}"
      })
  void aBodyThatIsNotJsonFailsClosed(String body) {
    assertThatThrownBy(() -> PROFILE.jsonBodyMasker().mask(bytes(body)))
        .isInstanceOf(MaskingException.class)
        .hasMessageStartingWith("response body");
  }

  @Test
  void aBodyOverTheCapFailsClosed() {
    assertThatThrownBy(() -> PROFILE.jsonBodyMasker(10).mask(bytes("{\"text\":\"0123456789\"}")))
        .isInstanceOf(MaskingException.class)
        .hasMessageContaining("over the masking cap of 10");
  }

  @Test
  void errorMessagesNeverQuoteTheBody() {
    assertThatThrownBy(
            () -> PROFILE.jsonBodyMasker().mask(bytes("{\"text\": sk-ant-api03-secretvalue}")))
        .isInstanceOf(MaskingException.class)
        .satisfies(
            e -> assertThat(e.getMessage()).doesNotContain("sk-ant").doesNotContain("secret"));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
