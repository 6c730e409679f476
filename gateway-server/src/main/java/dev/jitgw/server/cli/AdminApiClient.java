package dev.jitgw.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The options and the HTTP client of the commands that talk to a running gateway's admin API
 * ({@code approvals}, {@code grants}): decisions must reach the process that holds the requests.
 */
final class AdminApiClient {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A refusal or failure to print: exit status 1. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  /** The admin API's answer: status and JSON body. */
  record Answer(int status, JsonNode body) {}

  @Option(
      names = "--admin-url",
      paramLabel = "URL",
      description = "The gateway's admin API. Default: http:// plus $JITGW_ADMIN_LISTEN.")
  String adminUrl;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "A file holding the JWT to send. Default: $JITGW_ADMIN_TOKEN.")
  Path tokenFile;

  private URI base() {
    String url = adminUrl;
    if (url == null || url.isBlank()) {
      String listen = System.getenv("JITGW_ADMIN_LISTEN");
      url = "http://" + (listen == null || listen.isBlank() ? "127.0.0.1:9090" : listen.strip());
    }
    return URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
  }

  private String token() throws Refused {
    if (tokenFile != null) {
      try {
        return Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new Refused("cannot read the token file " + tokenFile + ": " + e.getMessage());
      }
    }
    String token = System.getenv("JITGW_ADMIN_TOKEN");
    if (token == null || token.isBlank()) {
      throw new Refused("no token: pass --token-file FILE or set JITGW_ADMIN_TOKEN");
    }
    return token.strip();
  }

  /** One path segment (an approval or grant id), encoded so it cannot change the route. */
  static String segment(String id) {
    return java.net.URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private URI at(String path) {
    return URI.create(base() + path);
  }

  Answer get(String path) throws Refused {
    return send(HttpRequest.newBuilder(at(path)).GET());
  }

  Answer post(String path, JsonNode body) throws Refused {
    return send(
        HttpRequest.newBuilder(at(path))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body.toString())));
  }

  /** Sends the request; a non-2xx answer is a {@link Refused} with the gateway's message. */
  private Answer send(HttpRequest.Builder request) throws Refused {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> response;
    try {
      response =
          client.send(
              request
                  .header("authorization", "Bearer " + token())
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new Refused("cannot reach the admin API at " + base() + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Refused("interrupted");
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException e) {
      body = null;
    }
    if (response.statusCode() / 100 != 2) {
      String message = body == null ? "" : body.at("/error/message").asText("").strip();
      throw new Refused(
          "refused ("
              + response.statusCode()
              + (body == null ? "" : " " + body.at("/error/details/error_code").asText(""))
              + ")"
              + (message.isEmpty() ? "" : ": " + message));
    }
    if (body == null) {
      throw new Refused("the admin API did not answer JSON");
    }
    return new Answer(response.statusCode(), body);
  }
}
