package dev.jitgw.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jitgw grants list | revoke}: active grants of a running gateway (admins only). */
@Command(
    name = "grants",
    mixinStandardHelpOptions = true,
    description = "List and revoke approval grants through a running gateway's admin API.",
    subcommands = {GrantsCommand.ListGrants.class, GrantsCommand.Revoke.class})
final class GrantsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List active grants.")
  static final class ListGrants implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminApiClient api;

    @Option(names = "--json", description = "Print the admin API's JSON.")
    boolean json;

    @Override
    public Integer call() {
      return ApprovalsCommand.run(
          spec,
          out -> {
            JsonNode grants = api.get("/api/grants").body();
            if (json) {
              out.println(grants.toPrettyString());
              return;
            }
            if (grants.path("grants").isEmpty()) {
              out.println("no active grants");
            }
            for (JsonNode grant : grants.path("grants")) {
              out.println(
                  String.join(
                      "  ",
                      grant.path("id").asText(),
                      grant.at("/subject/sub").asText(),
                      grant.path("rule").asText(),
                      "until " + grant.path("until").asText(),
                      grant.path("approval_id").asText()));
            }
          });
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a grant.")
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AdminApiClient api;

    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
      return ApprovalsCommand.run(
          spec,
          out -> {
            JsonNode grant =
                api.post("/api/grants/" + AdminApiClient.segment(id) + "/revoke", null).body();
            out.println("revoked " + grant.path("id").asText());
          });
    }
  }
}
