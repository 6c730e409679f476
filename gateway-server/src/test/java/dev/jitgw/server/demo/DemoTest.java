package dev.jitgw.server.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.PermissionDeniedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.jitgw.core.config.ConfigException;
import dev.jitgw.policy.approval.Approval;
import dev.jitgw.server.cli.JitgwCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The demo as a newcomer meets it: the real gateway on free ports, trusting the development issuer,
 * with the simulated upstream behind it, driven by the official Java SDK and by the very commands
 * the demo prints.
 */
class DemoTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path dataDir;

  private static Demo demo;
  private static AnthropicClient sdk;

  @BeforeAll
  static void start() {
    demo =
        Demo.start(
            DemoOptions.defaults(Map.of())
                .withPorts(0, 0, 0)
                .withDataDir(dataDir)
                .withDeltaInterval(Duration.ofMillis(1)));
    sdk =
        AnthropicOkHttpClient.builder()
            .baseUrl(demo.baseUrl())
            .authToken(demo.issuer().mint(DemoUser.DEV))
            .maxRetries(0)
            .timeout(Duration.ofSeconds(30))
            .build();
  }

  @AfterAll
  static void stop() {
    if (sdk != null) {
      sdk.close();
    }
    if (demo != null) {
      demo.close();
    }
  }

  private static MessageCreateParams params(String text) {
    return MessageCreateParams.builder()
        .model("claude-sonnet-4-5")
        .maxTokens(256)
        .addUserMessage(text)
        .build();
  }

  @Test
  void startsOnFreePortsWithTheSimulatedUpstreamBehindTheGateway() {
    assertThat(demo.gateway().dataPlaneAddress().getPort()).isPositive();
    assertThat(demo.gateway().adminAddress().getPort()).isPositive();
    assertThat(demo.issuer().port()).isPositive();
    assertThat(demo.simulatedUpstream()).isPresent();
    assertThat(demo.gateway().config().upstream().url().toString())
        .isEqualTo(demo.simulatedUpstream().get().url());
    assertThat(demo.gateway().config().identity().issuers())
        .extracting(i -> i.issuer())
        .containsExactly(demo.issuer().issuer());
    assertThat(demo.gateway().config().dataDir()).isEqualTo(dataDir);
  }

  @Test
  void sdkGetsASimulatedAnswerThroughTheGateway() {
    HttpResponseFor<Message> response =
        sdk.messages().withRawResponse().create(params("Hello from the test"));
    Message message = response.parse();

    String text = message.content().get(0).asText().text();
    assertThat(text).startsWith(SimulatedClaude.TEXT_PREFIX).contains("Hello from the test");
    assertThat(message.usage().inputTokens()).isPositive();
    assertThat(message.usage().outputTokens()).isEqualTo(text.split(" ").length);
    assertThat(response.headers().values(SimulatedClaude.HEADER)).containsExactly("true");
    assertThat(response.headers().values("jitgw-exchange-id")).hasSize(1);
  }

  @Test
  void sdkStreamsTheRealEventSequence() {
    List<String> types = new ArrayList<>();
    MessageAccumulator accumulator = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream =
        sdk.messages().createStreaming(params("Stream, please"))) {
      stream.stream()
          .forEach(
              event -> {
                accumulator.accumulate(event);
                types.add(
                    event.isMessageStart()
                        ? "message_start"
                        : event.isContentBlockStart()
                            ? "content_block_start"
                            : event.isContentBlockDelta()
                                ? "content_block_delta"
                                : event.isContentBlockStop()
                                    ? "content_block_stop"
                                    : event.isMessageDelta() ? "message_delta" : "message_stop");
              });
    }
    Message message = accumulator.message();
    String text = message.content().get(0).asText().text();
    assertThat(text).startsWith(SimulatedClaude.TEXT_PREFIX).contains("Stream, please");
    long deltas = types.stream().filter("content_block_delta"::equals).count();
    assertThat(types.subList(0, 2)).containsExactly("message_start", "content_block_start");
    assertThat(types.subList(types.size() - 3, types.size()))
        .containsExactly("content_block_stop", "message_delta", "message_stop");
    assertThat(deltas).isEqualTo(types.size() - 5);
    // One delta per word from the simulated upstream; the sample policy's response masking may
    // hold back the end of a delta and send it in one added delta before content_block_stop.
    assertThat(message.usage().outputTokens()).isEqualTo(text.split(" ").length);
    assertThat(deltas)
        .isBetween(message.usage().outputTokens(), message.usage().outputTokens() + 1);
    assertThat(message.stopReason().map(Object::toString)).contains("end_turn");
  }

  @Test
  void sdkCountsTokens() {
    long count =
        sdk.messages()
            .countTokens(
                MessageCountTokensParams.builder()
                    .model("claude-sonnet-4-5")
                    .addUserMessage("How many tokens is this?")
                    .build())
            .inputTokens();
    assertThat(count).isPositive();
  }

  static Stream<Arguments> refusedTokens() throws Exception {
    String good = demo.issuer().mint(DemoUser.DEV);
    String[] parts = good.split("\\.");
    String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    String promoted =
        parts[0]
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(
                    claims
                        .replace("\"sub\":\"dev\"", "\"sub\":\"admin\"")
                        .getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2];
    assertThat(promoted).isNotEqualTo(good);
    // Same issuer, audience and kid, but a key the demo never published.
    ECKey foreignKey =
        new ECKeyGenerator(Curve.P_256).keyID(demo.issuer().publicKey().getKeyID()).generate();
    SignedJWT foreign =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(foreignKey.getKeyID()).build(),
            new JWTClaimsSet.Builder(SignedJWT.parse(good).getJWTClaimsSet()).build());
    foreign.sign(new ECDSASigner(foreignKey));
    // A token from another demo run's issuer: a different iss the gateway does not trust.
    String otherRun;
    try (DevIssuer other = DevIssuer.start(0, Clock.systemUTC())) {
      otherRun = other.mint(DemoUser.DEV);
    }
    return Stream.of(
        Arguments.of("claims edited after signing", promoted, "invalid_token"),
        Arguments.of("signed with a foreign key", foreign.serialize(), "invalid_token"),
        Arguments.of("another issuer", otherRun, "invalid_token"),
        Arguments.of("signature cut off", parts[0] + "." + parts[1] + ".", "malformed_token"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedTokens")
  void tamperedOrForeignTokensAreRefused(String what, String token, String errorCode)
      throws Exception {
    HttpResponse<String> response = post(token);
    assertThat(response.statusCode()).as(what).isEqualTo(401);
    JsonNode error = JSON.readTree(response.body()).path("error");
    assertThat(error.path("type").asText()).isEqualTo("authentication_error");
    assertThat(error.path("details").path("error_code").asText()).as(what).isEqualTo(errorCode);
    assertThat(response.headers().firstValue(SimulatedClaude.HEADER)).as(what).isEmpty();
  }

  @Test
  void theDemoIssuersOwnTokenPassesWhereTheTamperedOnesFail() throws Exception {
    HttpResponse<String> response = post(demo.issuer().mint(DemoUser.APPROVER));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue(SimulatedClaude.HEADER)).contains("true");
  }

  private static HttpResponse<String> post(String token) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(demo.baseUrl() + "/v1/messages"))
            .header("authorization", "Bearer " + token)
            .header("content-type", "application/json")
            .header("anthropic-version", "2023-06-01")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":32,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void thePrintedCommandsWorkAsPrinted() throws Exception {
    DemoGuide guide = demo.guide();
    StringWriter printed = new StringWriter();
    guide.print(new PrintWriter(printed));
    assertThat(printed.toString())
        .contains(guide.tokenExport())
        .contains(guide.curl())
        .contains(guide.streamingCurl())
        .contains(guide.sdkEnvironment())
        .contains(guide.mintCommand(DemoUser.APPROVER))
        .contains(guide.maskingCurl())
        .contains(guide.heldCurl())
        .contains(guide.approverTokenCommand())
        .contains(guide.approvalsListCommand())
        .contains(guide.approveCommand())
        .doesNotContain("NOTE:")
        .contains(demo.adminUrl())
        .contains(demo.baseUrl());

    String json = shell(guide.tokenExport() + "\n" + guide.curl());
    assertThat(json)
        .startsWith("HTTP/1.1 200")
        .contains(SimulatedClaude.HEADER + ": true")
        .contains("jitgw-exchange-id: ex_")
        .contains("\"text\":\"" + SimulatedClaude.TEXT_PREFIX);

    String events = shell(guide.tokenExport() + "\n" + guide.streamingCurl());
    assertThat(events)
        .contains("event: message_start")
        .contains("\"type\":\"text_delta\",\"text\":\"[simulated ")
        .contains("event: message_delta")
        .endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  }

  @Test
  void thePrintedMaskingCommandShowsTheKeyMasked() throws Exception {
    DemoGuide guide = demo.guide();
    assertThat(guide.maskingCurl()).contains(DemoGuide.FAKE_KEY);
    String answer = shell(guide.tokenExport() + "\n" + guide.maskingCurl());
    JsonNode message = JSON.readTree(answer);
    assertThat(message.at("/content/0/text").asText())
        .startsWith(SimulatedClaude.TEXT_PREFIX + "You said: \"Please remember my key ")
        .contains("[MASKED:anthropic_api_key]");
    assertThat(answer).doesNotContain(DemoGuide.FAKE_KEY).doesNotContain("sk-ant-");
  }

  @Test
  void thePrintedApprovalHoldWaitsUntilTheApproverApprovesItWithThePrintedCli() throws Exception {
    DemoGuide guide = demo.guide();
    Process held =
        new ProcessBuilder("bash", "-c", guide.tokenExport() + "\n" + guide.heldCurl())
            .redirectErrorStream(true)
            .start();
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  !demo.gateway()
                      .approvals()
                      .list(Optional.of(Approval.State.PENDING), 10)
                      .isEmpty());
      Approval approval =
          demo.gateway().approvals().list(Optional.of(Approval.State.PENDING), 10).get(0);
      assertThat(approval.rule()).isEqualTo(DemoGuide.SHELL_RULE);
      assertThat(held.isAlive()).as("the held curl is still waiting").isTrue();

      shell(guide.approverTokenCommand());
      assertThat(guide.approverTokenFile()).isNotEmptyFile();
      StringWriter listed = new StringWriter();
      assertThat(cli(guide.approvalsListCommand(), approval.id(), listed))
          .as(listed.toString())
          .isZero();
      assertThat(listed.toString())
          .contains(approval.id())
          .contains("pending")
          .contains(DemoGuide.SHELL_RULE);
      StringWriter approved = new StringWriter();
      assertThat(cli(guide.approveCommand(), approval.id(), approved))
          .as(approved.toString())
          .isZero();
      assertThat(approved.toString()).contains(approval.id() + ": approved");

      assertThat(held.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String answer = new String(held.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(held.exitValue()).as(answer).isZero();
      assertThat(JSON.readTree(answer).at("/content/0/text").asText())
          .startsWith(
              SimulatedClaude.TEXT_PREFIX
                  + "You said: \"List the files in the current directory\"");
      assertThat(demo.gateway().approvals().list(Optional.of(Approval.State.APPROVED), 10))
          .extracting(Approval::id)
          .contains(approval.id());
    } finally {
      held.destroyForcibly();
    }
  }

  /**
   * Runs a printed {@code bin/jitgw ...} command line in-process: bash splits it into words (with
   * {@code $APPROVAL_ID} set) exactly as it would for a user, then the CLI runs those words. The
   * launcher script itself is left out: it may build the jar.
   */
  private static int cli(String printed, String approvalId, StringWriter out) throws Exception {
    assertThat(printed).startsWith("bin/jitgw ");
    String words =
        shell(
            "APPROVAL_ID="
                + approvalId
                + "; set -- "
                + printed.substring("bin/jitgw ".length())
                + "; printf '%s\\0' \"$@\"");
    String[] args = words.substring(0, words.length() - 1).split("\0", -1);
    CommandLine command = new CommandLine(new JitgwCommand());
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(out, true));
    return command.execute(args);
  }

  @Test
  void thePrintedMintCommandMintsATokenTheGatewayAccepts() throws Exception {
    String token = shell(demo.guide().mintCommand(DemoUser.APPROVER)).trim();
    JWTClaimsSet claims = SignedJWT.parse(token).getJWTClaimsSet();
    assertThat(claims.getSubject()).isEqualTo("approver");
    assertThat(claims.getStringListClaim("groups")).containsExactly("security");
    assertThat(claims.getAudience()).containsExactly("jitgw");
    assertThat(claims.getIssuer()).isEqualTo(demo.issuer().issuer());
    assertThat(post(token).statusCode()).isEqualTo(200);
  }

  @Test
  void theSamplePolicyIsInForce() {
    Optional<Path> sample = Demo.samplePolicy();
    assertThat(sample)
        .hasValueSatisfying(p -> assertThat(p).endsWith(Path.of("config", "policy.yaml")));
    // This build enforces everything the sample asks for (masking, approval holds): no fallback.
    Demo.PolicyInForce policy = demo.policy();
    assertThat(policy.notice()).isEmpty();
    assertThat(policy.sample()).isTrue();
    assertThat(policy.source()).isEqualTo(sample.get().toString());
  }

  @Test
  void aRefusedSampleFallsBackToTheBuiltInPolicyAndSaysSo(@TempDir Path dir) throws Exception {
    Path broken = dir.resolve("policy.yaml");
    Files.writeString(broken, "version: 1\nrules:\n  - name: bad\n    when: request.model ==\n");
    try (Demo fallback =
        Demo.start(
            DemoOptions.defaults(Map.of()).withPorts(0, 0, 0).withDataDir(dir.resolve("data")),
            Optional.of(broken))) {
      assertThat(fallback.policy().sample()).isFalse();
      assertThat(fallback.policy().source()).startsWith("built-in");
      assertThat(fallback.policy().notice())
          .hasValueSatisfying(
              n -> assertThat(n).contains("NOT in force").contains(broken.toString()));
      StringWriter printed = new StringWriter();
      fallback.guide().print(new PrintWriter(printed));
      assertThat(printed.toString()).contains("NOTE: the sample policy was refused");
    }
  }

  @Test
  void aPolicyGivenWithPolicyIsEnforced(@TempDir Path dir) throws Exception {
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        "version: 1\nrules:\n"
            + "  - name: no-opus-in-the-demo\n"
            + "    when: request.model.startsWith(\"claude-opus\")\n"
            + "    deny: not in the demo\n"
            + "  - name: everyone\n    when: \"true\"\n    allow: {}\n");
    try (Demo custom =
        Demo.start(
            DemoOptions.defaults(Map.of())
                .withPorts(0, 0, 0)
                .withDataDir(dir.resolve("data"))
                .withPolicyFile(policy))) {
      AnthropicClient client =
          AnthropicOkHttpClient.builder()
              .baseUrl(custom.baseUrl())
              .authToken(custom.issuer().mint(DemoUser.DEV))
              .maxRetries(0)
              .build();
      assertThat(custom.policy().source()).isEqualTo(policy.toString());
      assertThatThrownBy(
              () ->
                  client
                      .messages()
                      .create(
                          MessageCreateParams.builder()
                              .model("claude-opus-4-1")
                              .maxTokens(16)
                              .addUserMessage("hi")
                              .build()))
          .isInstanceOfSatisfying(
              PermissionDeniedException.class,
              e -> assertThat(e.errorCode()).contains("policy_denied"));
      assertThat(client.messages().create(params("hi")).content().get(0).asText().text())
          .startsWith(SimulatedClaude.TEXT_PREFIX);
      client.close();
    }
  }

  @Test
  void aBrokenPolicyGivenWithPolicyStopsStartUpAndLeavesNothingRunning(@TempDir Path dir)
      throws Exception {
    Path policy = dir.resolve("mine.yaml");
    Files.writeString(policy, "version: 2\nrules: []\n");
    int issuerPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      issuerPort = probe.getLocalPort();
    }
    DemoOptions options =
        DemoOptions.defaults(Map.of()).withPorts(0, 0, issuerPort).withDataDir(dir.resolve("data"));
    assertThatThrownBy(() -> Demo.start(options.withPolicyFile(policy)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(policy.toString())
        .hasMessageContaining("version");
    // The issuer started before the gateway refused; it was stopped again, so its port is free.
    try (ServerSocket again = new ServerSocket(issuerPort, 1, InetAddress.getLoopbackAddress())) {
      assertThat(again.getLocalPort()).isEqualTo(issuerPort);
    }
  }

  @Test
  void withAnApiKeyTheRealUpstreamIsUsedAndNothingIsSimulated(@TempDir Path dir) {
    try (Demo real =
        Demo.start(
            DemoOptions.defaults(Map.of("ANTHROPIC_API_KEY", "sk-ant-api03-not-a-real-key"))
                .withPorts(0, 0, 0)
                .withDataDir(dir))) {
      assertThat(real.simulatedUpstream()).isEmpty();
      assertThat(real.gateway().config().upstream().url()).hasToString("https://api.anthropic.com");
      StringWriter printed = new StringWriter();
      real.guide().print(new PrintWriter(printed));
      assertThat(printed.toString())
          .contains("the real Claude API, https://api.anthropic.com")
          .doesNotContain("SIMULATED");
    }
  }

  /** Runs a command line in bash, as a user pasting it would, and returns its output. */
  static String shell(String script) throws Exception {
    Process process = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }
}
