package dev.jitgw.server.demo;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.config.Durations;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * What {@code jitgw demo} prints: where everything runs, a ready token for {@code dev}, and
 * commands to copy. The commands are exposed one by one so tests run exactly what is printed.
 */
public final class DemoGuide {
  static final String MODEL = "claude-sonnet-4-5";

  /**
   * A made-up Anthropic API key (the shape the {@code anthropic_api_key} detector finds): the
   * simulated upstream echoes it, and the sample policy's {@code secrets} masking replaces it.
   */
  public static final String FAKE_KEY = "sk-ant-api03-jitgw-demo-FAKE-key-0123456789abcdef";

  /** Stands for the approval's id in the printed approve command; set it from the list. */
  public static final String APPROVAL_ID = "$APPROVAL_ID";

  /** The sample policy's rule that holds requests offering a {@code bash} tool. */
  static final String SHELL_RULE = "shell-tool-needs-approval";

  private final Demo demo;
  private final String token;

  DemoGuide(Demo demo, String token) {
    this.demo = requireNonNull(demo, "demo");
    this.token = requireNonNull(token, "token");
  }

  /** The ready token for {@code dev}. */
  public String token() {
    return token;
  }

  /** Puts the ready token in {@code $JITGW_TOKEN}, which the other commands use. */
  public String tokenExport() {
    return "export JITGW_TOKEN='" + token + "'";
  }

  /** One Messages API request through the gateway, response headers included. */
  public String curl() {
    return curl("-sS -i", MODEL, "Hello from the jitgw demo", false);
  }

  /** The same request streamed: {@code -N} shows each server-sent event as it arrives. */
  public String streamingCurl() {
    return curl("-sS -N", MODEL, "Stream a hello from the jitgw demo", true);
  }

  /** A request the sample policy denies {@code dev} (rule opus-needs-leads). */
  public String deniedCurl() {
    return curl("-sS", "claude-opus-4-1", "Hello", false);
  }

  /**
   * A prompt holding {@link #FAKE_KEY}: the answer echoes it, and the gateway masks it on the way
   * back ({@code [MASKED:anthropic_api_key]}).
   */
  public String maskingCurl() {
    return curl("-sS", MODEL, "Please remember my key " + FAKE_KEY + " for later", false, "");
  }

  /**
   * A request offering Claude a {@code bash} tool: the sample rule {@value #SHELL_RULE} holds it
   * until someone in {@code security} approves it (at most 5 minutes).
   */
  public String heldCurl() {
    return curl(
        "-sS",
        MODEL,
        "List the files in the current directory",
        false,
        "\"tools\":[{\"type\":\"bash_20250124\",\"name\":\"bash\"}],");
  }

  /** Where the approver's token is kept for the CLI's {@code --token-file}. */
  public Path approverTokenFile() {
    return demo.gateway().config().dataDir().toAbsolutePath().normalize().resolve("approver.jwt");
  }

  /** Mints a token for {@code approver} into {@link #approverTokenFile()}. */
  public String approverTokenCommand() {
    return mintCommand(DemoUser.APPROVER) + " > " + approverTokenFile();
  }

  /** Lists pending approvals as {@code approver}. */
  public String approvalsListCommand() {
    return "bin/jitgw approvals list" + cliOptions();
  }

  /** Approves the approval whose id is in {@code $APPROVAL_ID}, as {@code approver}. */
  public String approveCommand() {
    return "bin/jitgw approvals approve "
        + APPROVAL_ID
        + " --reason 'demo: listing files is fine'"
        + cliOptions();
  }

  private String cliOptions() {
    return " --admin-url " + demo.adminUrl() + " --token-file " + approverTokenFile();
  }

  private String curl(String flags, String model, String text, boolean stream) {
    return curl(flags, model, text, stream, "");
  }

  private String curl(String flags, String model, String text, boolean stream, String extra) {
    return "curl "
        + flags
        + " "
        + demo.baseUrl()
        + "/v1/messages \\\n"
        + "  -H \"authorization: Bearer $JITGW_TOKEN\" \\\n"
        + "  -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' \\\n"
        + "  -d '{\"model\":\""
        + model
        + "\",\"max_tokens\":256,"
        + (stream ? "\"stream\":true," : "")
        + extra
        + "\"messages\":[{\"role\":\"user\",\"content\":\""
        + text
        + "\"}]}'";
  }

  /** The variables the SDKs and Claude Code read (docs/sdk-and-claude-code.md). */
  public String sdkEnvironment() {
    return "export ANTHROPIC_BASE_URL="
        + demo.baseUrl()
        + "\nexport ANTHROPIC_AUTH_TOKEN=\"$JITGW_TOKEN\"\nunset ANTHROPIC_API_KEY";
  }

  /** Mints a token for a demo user at the development issuer and prints it. */
  public String mintCommand(DemoUser user) {
    return "curl -sS " + demo.issuer().mintUrl() + " -d user=" + user.name();
  }

  public void print(PrintWriter out) {
    boolean simulated = demo.simulatedUpstream().isPresent();
    out.println();
    out.println("jitgw demo is running. Ctrl-C stops it (in-flight requests drain first).");
    out.println();
    out.println("  gateway        " + demo.baseUrl() + "   (point ANTHROPIC_BASE_URL here)");
    if (simulated) {
      out.println(
          "  upstream       SIMULATED Claude on "
              + demo.simulatedUpstream().get().url()
              + ": ANTHROPIC_API_KEY is unset, so no model is called;");
      out.println(
          "                 answers begin \""
              + SimulatedClaude.TEXT_PREFIX.trim()
              + "\" and carry the header "
              + SimulatedClaude.HEADER
              + ": true");
    } else {
      out.println(
          "  upstream       the real Claude API, "
              + demo.gateway().config().upstream().url()
              + " (ANTHROPIC_API_KEY is set: requests are billed to it)");
    }
    out.println(
        "  identity       development issuer "
            + demo.issuer().issuer()
            + " (key made at start: tokens end with this run)");
    out.println("  policy         " + demo.policy().source());
    demo.policy().notice().ifPresent(n -> out.println("                 NOTE: " + n));
    out.println(
        "  data           "
            + demo.gateway().config().dataDir().toAbsolutePath().normalize()
            + " (audit log, keys, limits; not ./data)");
    out.println(
        "  admin          "
            + demo.adminUrl()
            + "   (/healthz, /readyz, /metrics, /api/...; the web UI at "
            + demo.adminUrl()
            + "/ui/)");
    out.println();
    out.println(
        "1. A token for dev (groups: "
            + String.join(", ", DemoUser.DEV.groups())
            + "), valid "
            + Durations.format(DevIssuer.DEFAULT_TTL)
            + ":");
    out.println();
    out.println(tokenExport());
    out.println();
    out.println(
        "2. Ask Claude through the gateway (note jitgw-exchange-id, the audit record's key):");
    out.println();
    out.println(curl());
    out.println();
    out.println("3. The same, streamed event by event:");
    out.println();
    out.println(streamingCurl());
    out.println();
    out.println("4. The SDKs and Claude Code (docs/sdk-and-claude-code.md) read these:");
    out.println();
    out.println(sdkEnvironment());
    out.println();
    out.println("   then run `claude`, or any Anthropic SDK program, unchanged.");
    out.println();
    out.println("5. Tokens for the other demo users (a new one for dev the same way):");
    out.println();
    for (DemoUser user : DemoUser.ALL) {
      out.println(
          "   "
              + user.name()
              + " ("
              + String.join(", ", user.groups())
              + ", "
              + user.role()
              + "):  "
              + mintCommand(user));
    }
    out.println(
        "   anyone:  curl -sS "
            + demo.issuer().mintUrl()
            + " -d sub=alice -d groups=eng,ml-leads -d ttl=5m");
    out.println("   e.g.  export JITGW_TOKEN=\"$(" + mintCommand(DemoUser.APPROVER) + ")\"");
    out.println();
    out.println("6. The admin listener:");
    out.println();
    out.println("curl -sS " + demo.adminUrl() + "/readyz");
    out.println(
        "curl -sS "
            + demo.adminUrl()
            + "/api/exchanges -H \"authorization: Bearer $("
            + mintCommand(DemoUser.ADMIN)
            + ")\"");
    if (demo.policy().sample()) {
      out.println();
      out.println(
          "7. A request the sample policy denies dev (403 policy_denied, rule opus-needs-leads):");
      out.println();
      out.println(deniedCurl());
      out.println();
      out.println(
          "8. Masking: the (simulated) answer repeats a made-up API key from the prompt, and the"
              + " gateway");
      out.println("   masks it in the response (rule everyone, masking profile secrets):");
      out.println();
      out.println(maskingCurl());
      out.println();
      out.println("   The answer says [MASKED:anthropic_api_key] where the key was.");
      out.println();
      out.println(
          "9. An approval hold: a request offering a bash tool waits (rule "
              + SHELL_RULE
              + ", up to 5 minutes)");
      out.println("   until someone in security approves it. In this terminal:");
      out.println();
      out.println(heldCurl());
      out.println();
      out.println("   In another terminal, as the demo user approver:");
      out.println();
      out.println(approverTokenCommand());
      out.println(approvalsListCommand());
      out.println("APPROVAL_ID=apr_...   # the id the list printed");
      out.println(approveCommand());
      out.println();
      out.println(
          "   The held curl then gets its answer; dev's next bash requests pass for 30 minutes"
              + " (a grant).");
    }
    out.println();
    out.println(
        "Audit: JITGW_DATA_DIR="
            + demo.gateway().config().dataDir()
            + " bin/jitgw audit export --out /tmp/jitgw-audit && bin/jitgw audit verify"
            + " /tmp/jitgw-audit");
    out.println();
    out.flush();
  }
}
