package dev.jitgw.server.cli;

import dev.jitgw.server.demo.DemoOptions;
import dev.jitgw.server.demo.DevIssuer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jitgw token}: mints a development token from a running demo's issuer (demo mode only: a
 * real deployment's tokens come from its identity provider).
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = {
      "Mint a development token from a running 'jitgw demo' (its embedded issuer).",
      "Real deployments take tokens from their identity provider; this works with the demo only."
    })
final class TokenCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--sub",
      paramLabel = "NAME",
      description = "Subject; or a demo user (dev, approver, admin) with --user.")
  String sub;

  @Option(names = "--user", paramLabel = "NAME", description = "A demo user: dev, approver, admin.")
  String user;

  @Option(
      names = "--groups",
      paramLabel = "a,b",
      split = ",",
      description = "Groups (default: the demo user's, or none).")
  List<String> groups = new ArrayList<>();

  @Option(names = "--ttl", paramLabel = "DURATION", description = "Lifetime, e.g. 5m (at most 1h).")
  String ttl;

  @Option(
      names = "--issuer-url",
      paramLabel = "URL",
      description = "The demo issuer. Default: http://127.0.0.1:8180.")
  String issuerUrl = "http://127.0.0.1:" + DemoOptions.DEFAULT_ISSUER_PORT;

  @Override
  public Integer call() {
    if ((sub == null) == (user == null)) {
      spec.commandLine().getErr().println("jitgw: give exactly one of --sub NAME or --user NAME");
      return 2;
    }
    StringBuilder form = new StringBuilder();
    append(form, sub != null ? "sub" : "user", sub != null ? sub : user);
    if (!groups.isEmpty()) {
      append(form, "groups", String.join(",", groups));
    }
    if (ttl != null) {
      append(form, "ttl", ttl);
    }
    String base =
        issuerUrl.endsWith("/") ? issuerUrl.substring(0, issuerUrl.length() - 1) : issuerUrl;
    HttpResponse<String> response;
    try {
      response =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(5))
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(base + DevIssuer.MINT_PATH))
                      .header("content-type", "application/x-www-form-urlencoded")
                      .timeout(Duration.ofSeconds(10))
                      .POST(HttpRequest.BodyPublishers.ofString(form.toString()))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      spec.commandLine()
          .getErr()
          .println(
              "jitgw: no demo issuer at "
                  + base
                  + " ("
                  + e
                  + "); start 'bin/jitgw demo' first (tokens are minted in demo mode only)");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    if (response.statusCode() != 200) {
      spec.commandLine().getErr().print(response.body());
      return 1;
    }
    spec.commandLine().getOut().println(response.body().strip());
    return 0;
  }

  private static void append(StringBuilder form, String name, String value) {
    if (form.length() > 0) {
      form.append('&');
    }
    form.append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
  }
}
