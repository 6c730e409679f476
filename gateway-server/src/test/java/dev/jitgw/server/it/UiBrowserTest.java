package dev.jitgw.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.ToolBash20250124;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin UI in a real browser ({@link HeadlessChromium}): an admin who is also an approver logs
 * in with a pasted token, sees a held request appear, approves it with a reason, the held SDK call
 * completes, and the exchange's replay plays. Skipped only when the browser or its driver is
 * missing. With {@code -Djitgw.ui.screenshots=DIR} it saves screenshots of the main pages there
 * (docs/ui/*.png were made so).
 */
class UiBrowserTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Path POLICY = policy();

  @RegisterExtension
  final GatewayHarness harness = new GatewayHarness(config -> config.withPolicyFile(POLICY));

  private WebDriver browser;
  private WebDriverWait wait;

  private static Path policy() {
    try {
      Path file = Files.createTempFile("jitgw-ui-browser-policy", ".yaml");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          """
          version: 1
          rules:
            - name: shell-needs-approval
              when: request.tools.exists(t, t.name == "bash")
              approve: {approvers: [security], timeout: 120s}
            - name: engineers
              when: '"eng" in identity.groups'
              allow: {mask: [secrets]}
          """);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @BeforeEach
  void startBrowser() {
    browser = HeadlessChromium.start();
    wait = new WebDriverWait(browser, WAIT);
  }

  @AfterEach
  void stopBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  private String token(String subject, String... groups) {
    return harness.identityProvider().token().subject(subject).groups(groups).sign();
  }

  private WebElement visible(By by) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(by));
  }

  private void screenshot(String name) throws IOException {
    String dir = System.getProperty("jitgw.ui.screenshots");
    if (dir == null || dir.isBlank()) {
      return;
    }
    Path target = Path.of(dir).resolve(name + ".png");
    Files.createDirectories(target.getParent());
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
  }

  private boolean exchangeEnded(String exchangeId) throws IOException {
    List<byte[]> records = harness.gateway().auditLog().exchange(exchangeId);
    return !records.isEmpty()
        && JSON.readTree(records.get(records.size() - 1))
            .path("type")
            .asText()
            .equals("response_end");
  }

  @Test
  void anApproverLogsInApprovesAHeldRequestAndReplaysIt() throws Exception {
    browser.get(harness.adminUrl() + "/ui/");
    visible(By.id("token")).sendKeys(token("root", "jitgw-admins", "security"));
    browser.findElement(By.id("login-button")).click();
    wait.until(ExpectedConditions.textToBe(By.id("who-sub"), "root"));
    assertThat(browser.findElement(By.id("who-groups")).getText())
        .contains("jitgw-admins")
        .contains("security");
    visible(By.id("approvals-status"));

    // A held request: the SDK call waits while the UI shows it.
    AnthropicClient alice =
        AnthropicOkHttpClient.builder()
            .baseUrl(harness.baseUrl())
            .apiKey(token("alice", "eng"))
            .maxRetries(0)
            .timeout(Duration.ofSeconds(90))
            .build();
    MessageAccumulator accumulator = MessageAccumulator.create();
    CompletableFuture<Void> held =
        CompletableFuture.runAsync(
            () -> {
              try (StreamResponse<RawMessageStreamEvent> stream =
                  alice
                      .messages()
                      .createStreaming(
                          MessageCreateParams.builder()
                              .model("claude-test-1")
                              .maxTokens(64)
                              .addUserMessage("clean up the build cache")
                              .addTool(ToolBash20250124.builder().build())
                              .build())) {
                stream.stream().forEach(accumulator::accumulate);
              }
            });

    WebElement card = visible(By.cssSelector("#approvals [data-approval-id]"));
    assertThat(card.getText())
        .contains("shell-needs-approval")
        .contains("alice")
        .contains("claude-test-1")
        .contains("bash")
        .contains("clean up the build cache");
    String exchangeId =
        card.findElement(By.cssSelector("a[href^='/ui/exchanges/']")).getText().trim();
    assertThat(held).isNotDone();
    screenshot("approvals");

    card.findElement(By.cssSelector(".reason")).sendKeys("cache cleanup, fine");
    card.findElement(By.cssSelector("button.approve")).click();
    wait.until(
        ExpectedConditions.textToBePresentInElementLocated(By.id("approvals-notice"), "approved"));

    held.get(60, TimeUnit.SECONDS);
    assertThat(accumulator.message().content().get(0).asText().text())
        .isEqualTo(FakeClaudeUpstream.TEXT);
    await().atMost(WAIT).until(() -> exchangeEnded(exchangeId));

    // The exchange, found through the list, and its replay.
    browser.findElement(By.cssSelector("#nav a[data-page='exchanges']")).click();
    visible(By.cssSelector("tr[data-exchange-id='" + exchangeId + "'] a")).click();
    visible(By.id("approval-trail"));
    assertThat(browser.findElement(By.id("approval-trail")).getText())
        .contains("decided: approved")
        .contains("cache cleanup, fine");
    assertThat(browser.findElement(By.id("view")).getText())
        .contains("shell-needs-approval")
        .contains("alice");
    visible(By.id("replay-play")).click();
    wait.until(ExpectedConditions.textToBe(By.id("replay-state"), "finished"));
    assertThat(browser.findElement(By.id("replay-output")).getText()).contains("message_stop");
    assertThat(browser.findElement(By.id("replay-text")).getText())
        .isEqualTo(FakeClaudeUpstream.TEXT);
    screenshot("exchange-replay");

    browser.findElement(By.cssSelector("#nav a[data-page='audit']")).click();
    wait.until(
        ExpectedConditions.textMatches(
            By.id("tree-size"), java.util.regex.Pattern.compile("\\d+")));
    screenshot("audit");

    browser.findElement(By.cssSelector("#nav a[data-page='policy']")).click();
    visible(By.cssSelector("#policy-rules tbody tr"));
    wait.until(d -> !d.findElement(By.id("policy-draft")).getAttribute("value").isBlank());
    WebElement claims = browser.findElement(By.id("policy-claims"));
    claims.clear();
    claims.sendKeys("{\"sub\": \"alice\", \"groups\": [\"eng\"]}");
    browser.findElement(By.id("policy-check")).click();
    assertThat(visible(By.id("policy-decision")).getText()).startsWith("allow (rule engineers)");
    screenshot("policy");
  }
}
