package dev.jitgw.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.exchange.RequestSummaryParser;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.rules.Policy;
import dev.jitgw.policy.rules.PolicyException;
import dev.jitgw.policy.rules.PolicyLoader;
import dev.jitgw.policy.rules.PolicyTrial;
import dev.jitgw.policy.rules.RuleExplainer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jitgw policy}: check a policy file, or explain its decision for a sample request. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "Check a policy file, or test what it decides for an identity and a request.",
    subcommands = {PolicyCommand.Check.class, PolicyCommand.Test.class})
final class PolicyCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = "Parse and type-check a policy file; exit 1 naming the line, rule and error.")
  static final class Check implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The policy file.")
    Path file;

    @Override
    public Integer call() {
      try {
        Policy policy = PolicyLoader.load(file);
        spec.commandLine()
            .getOut()
            .printf(
                "%s: OK, version %s, %d rule(s), %d federation profile(s)%n",
                file, policy.version(), policy.rules().size(), policy.federation().size());
        return 0;
      } catch (PolicyException e) {
        spec.commandLine().getErr().println("jitgw: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(
      name = "test",
      mixinStandardHelpOptions = true,
      description = {
        "Print the decision for an identity (token claims) and a request body, the deciding rule,",
        "and why each earlier rule did not match."
      })
  static final class Test implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec CommandSpec spec;

    @Option(names = "--policy", required = true, paramLabel = "FILE", description = "Policy file.")
    Path policyFile;

    @Option(
        names = "--claims",
        required = true,
        paramLabel = "CLAIMS.json",
        description = "The caller's token claims (sub, iss, groups, ...).")
    Path claimsFile;

    @Option(
        names = "--request",
        required = true,
        paramLabel = "BODY.json",
        description = "The request body (a Messages API request).")
    Path requestFile;

    @Option(names = "--method", defaultValue = "POST", description = "Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(
        names = "--path",
        defaultValue = "/v1/messages",
        description = "Default: ${DEFAULT-VALUE}.")
    String path;

    @Option(
        names = "--groups-claim",
        defaultValue = "groups",
        description = "Claim path of the groups. Default: ${DEFAULT-VALUE}.")
    String groupsClaim;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      Policy policy;
      try {
        policy = PolicyLoader.load(policyFile);
      } catch (PolicyException e) {
        spec.commandLine().getErr().println("jitgw: " + e.getMessage());
        return 1;
      }
      Instant now = Instant.now();
      Identity identity = identity(JSON.readTree(claimsFile.toFile()), now);
      byte[] body = Files.readAllBytes(requestFile);
      RequestSummary request;
      try {
        request =
            new RequestSummaryParser(CliConfig.load(null).pricing().priceTable())
                .parse(
                    method,
                    path,
                    List.of(Map.entry("content-type", "application/json")),
                    new ByteArrayInputStream(body),
                    body.length);
      } catch (GatewayException e) {
        out.println("decision: 400 " + e.error().code().code() + ": " + e.getMessage());
        return 0;
      }
      PolicyTrial.Result trial = PolicyTrial.run(policy, identity, request, now);
      out.println(
          "policy: " + policyFile + " (version " + trial.evaluation().policyVersion() + ")");
      out.println("identity: " + identity.subject() + " groups=" + identity.groups());
      out.println("decision: " + PolicyTrial.describe(trial.decision()));
      int index = 0;
      for (PolicyTrial.Step step : trial.steps()) {
        index++;
        out.printf("  %d. %-28s %s%n", index, step.rule(), step.outcome());
        if (step.outcome() == Policy.Outcome.NOT_MATCHED) {
          for (RuleExplainer.Part part : step.parts()) {
            out.printf("       %-6s %s%n", part.value(), part.expression());
          }
        } else if (step.outcome() == Policy.Outcome.ERROR) {
          out.println("       " + step.detail());
        }
      }
      return 0;
    }

    @SuppressWarnings("unchecked")
    private Identity identity(JsonNode claims, Instant now) {
      return PolicyTrial.identity(JSON.convertValue(claims, Map.class), groupsClaim, now);
    }
  }
}
