package dev.jitgw.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jitgw approvals list | show | approve | deny}: the approval queue of a running gateway,
 * through its admin API, as the identity of the token sent (docs/approvals.md).
 */
@Command(
    name = "approvals",
    mixinStandardHelpOptions = true,
    description = "List and decide held requests through a running gateway's admin API.",
    subcommands = {
      ApprovalsCommand.ListApprovals.class,
      ApprovalsCommand.Show.class,
      ApprovalsCommand.Approve.class,
      ApprovalsCommand.Deny.class
    })
final class ApprovalsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs {@code action}, printing a refusal to stderr with exit status 1. */
  static int run(CommandSpec spec, Action action) {
    try {
      action.run(spec.commandLine().getOut());
      return 0;
    } catch (AdminApiClient.Refused e) {
      spec.commandLine().getErr().println("jitgw: " + e.getMessage());
      return 1;
    }
  }

  interface Action {
    void run(PrintWriter out) throws AdminApiClient.Refused;
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List approvals.")
  static final class ListApprovals implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminApiClient api;

    @Option(
        names = "--state",
        paramLabel = "STATE",
        defaultValue = "pending",
        description = "pending, approved, denied, expired, abandoned or all. Default: pending.")
    String state;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "1 to 1000.")
    int limit;

    @Option(names = "--json", description = "Print the admin API's JSON.")
    boolean json;

    @Override
    public Integer call() {
      return run(
          spec,
          out -> {
            JsonNode page =
                api.get(
                        "/api/approvals?state="
                            + URLEncoder.encode(state, StandardCharsets.UTF_8)
                            + "&limit="
                            + limit)
                    .body();
            if (json) {
              out.println(page.toPrettyString());
              return;
            }
            if (page.path("approvals").isEmpty()) {
              out.println("no " + (state.equals("all") ? "" : state + " ") + "approvals");
            }
            for (JsonNode approval : page.path("approvals")) {
              out.println(line(approval));
            }
          });
    }
  }

  /** One approval on one line: id, state, requester, rule, model, tools, created, expires. */
  static String line(JsonNode approval) {
    List<String> tools = new ArrayList<>();
    approval.at("/request/tools").forEach(tool -> tools.add(tool.asText()));
    String line =
        String.join(
            "  ",
            approval.path("id").asText(),
            state(approval),
            approval.at("/subject/display").asText(approval.at("/subject/sub").asText()),
            approval.path("rule").asText(),
            approval.at("/request/model").asText("-"),
            tools.isEmpty() ? "-" : String.join(",", tools),
            approval.path("created_at").asText(),
            approval.path("expires_at").asText());
    // Requesters choose the model name and their display name: no control characters (terminal
    // escapes could rewrite what an approver reads).
    return line.codePoints()
        .map(c -> Character.isISOControl(c) ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
  }

  /** {@code approved}, or {@code pending (1 of 2 approvals)} while more are needed. */
  static String state(JsonNode approval) {
    String state = approval.path("state").asText();
    int needed = approval.path("min_approvals").asInt(1);
    if (!state.equals("pending") || needed < 2) {
      return state;
    }
    long approvals = 0;
    for (JsonNode decision : approval.path("decisions")) {
      if (decision.path("decision").asText().equals("approve")) {
        approvals++;
      }
    }
    return state + " (" + approvals + " of " + needed + " approvals)";
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Print one approval.")
  static final class Show implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminApiClient api;

    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      return run(
          spec,
          out ->
              out.println(
                  api.get("/api/approvals/" + AdminApiClient.segment(id)).body().toPrettyString()));
    }
  }

  abstract static class Decide implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminApiClient api;

    @Parameters(paramLabel = "ID")
    String id;

    @Option(
        names = "--reason",
        paramLabel = "TEXT",
        required = true,
        description = "Why (1 to 1000 characters); shown to the requester on a denial.")
    String reason;

    abstract String verb();

    @Override
    public Integer call() {
      return run(
          spec,
          out -> {
            ObjectNode body = AdminApiClient.JSON.createObjectNode().put("reason", reason);
            JsonNode approval =
                api.post("/api/approvals/" + AdminApiClient.segment(id) + "/" + verb(), body)
                    .body();
            out.println(approval.path("id").asText() + ": " + state(approval));
          });
    }
  }

  @Command(name = "approve", mixinStandardHelpOptions = true, description = "Approve a request.")
  static final class Approve extends Decide {
    @Override
    String verb() {
      return "approve";
    }
  }

  @Command(name = "deny", mixinStandardHelpOptions = true, description = "Deny a request.")
  static final class Deny extends Decide {
    @Override
    String verb() {
      return "deny";
    }
  }
}
