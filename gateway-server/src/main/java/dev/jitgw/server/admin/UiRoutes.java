package dev.jitgw.server.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayError;
import dev.jitgw.server.http.ErrorResponses;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The admin web UI ({@code GET /ui/}, docs/ui.md): committed static files under {@code ui/} on the
 * classpath, read once when the admin listener starts, so serving one is a map lookup on the event
 * loop and no request path ever reaches a file system or class loader: a path names one of {@link
 * #ASSETS} or nothing, which makes traversal impossible by construction. A path without a file
 * extension under {@code /ui/} is one of the UI's own routes (such as {@code /ui/approvals/<id>},
 * the link in webhook messages) and gets {@code index.html}. Static files need no authentication:
 * they hold no data; every {@code /api} call the UI makes carries the user's bearer token.
 */
final class UiRoutes {
  /** The UI's files, relative to {@code ui/} on the classpath. */
  static final List<String> ASSETS =
      List.of(
          "index.html",
          "app.css",
          "app.js",
          "api.js",
          "dom.js",
          "session.js",
          "approvals.js",
          "exchanges.js",
          "replay.js",
          "audit.js",
          "policy.js",
          "oidc.js",
          "favicon.svg");

  /** The sign-in options ({@link #LOGIN_PATH}): issuers that name a client for the UI. */
  static final String LOGIN_PATH = "login.json";

  /** An app route: segments of letters, digits, {@code _} and {@code -}, no dots. */
  private static final Pattern APP_ROUTE = Pattern.compile("(/[A-Za-z0-9_-]+)*/?");

  private static final ObjectMapper JSON = new ObjectMapper();

  private record Asset(byte[] bytes, String contentType, String etag) {}

  private final Map<String, Asset> assets;
  private final String contentSecurityPolicy;

  /**
   * @param issuers the trusted issuers; those with a {@code ui_client_id} are offered for signing
   *     in
   */
  UiRoutes(List<IssuerConfig> issuers) {
    ClassLoader loader = UiRoutes.class.getClassLoader();
    Map<String, Asset> loaded = new LinkedHashMap<>();
    for (String name : ASSETS) {
      try (InputStream in = loader.getResourceAsStream("ui/" + name)) {
        if (in == null) {
          throw new IllegalStateException("ui/" + name + ": not on the classpath");
        }
        byte[] bytes = in.readAllBytes();
        loaded.put(name, new Asset(bytes, contentType(name), etag(bytes)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read ui/" + name, e);
      }
    }
    List<IssuerConfig> signIn = issuers.stream().filter(i -> i.uiClientId() != null).toList();
    ObjectNode options = JSON.createObjectNode();
    ArrayNode providers = options.putArray("providers");
    for (IssuerConfig issuer : signIn) {
      providers.addObject().put("issuer", issuer.issuer()).put("client_id", issuer.uiClientId());
    }
    try {
      byte[] login = JSON.writeValueAsBytes(options);
      loaded.put(LOGIN_PATH, new Asset(login, "application/json", etag(login)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.assets = Map.copyOf(loaded);
    this.contentSecurityPolicy =
        contentSecurityPolicy(signIn.stream().map(i -> origin(i.issuer())).distinct().toList());
  }

  /**
   * The UI's CSP: scripts and styles only from this origin, none inline; API calls only to this
   * origin and to {@code signInOrigins}, where the browser fetches an issuer's discovery document
   * and exchanges a sign-in's code for a token (docs/ui.md); no framing ({@code frame-ancestors}
   * and, for older browsers, {@code X-Frame-Options}).
   */
  private static String contentSecurityPolicy(List<String> signInOrigins) {
    StringBuilder connect = new StringBuilder("'self'");
    signInOrigins.forEach(origin -> connect.append(' ').append(origin));
    return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        + " connect-src "
        + connect
        + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  }

  /** {@code scheme://host[:port]} of an issuer URL (validated as a URL when the config loaded). */
  private static String origin(String issuer) {
    URI uri = URI.create(issuer);
    String origin = uri.getScheme().toLowerCase(java.util.Locale.ROOT) + "://" + uri.getHost();
    return uri.getPort() < 0 ? origin : origin + ":" + uri.getPort();
  }

  /** Whether {@code path} is the UI's. */
  static boolean owns(String path) {
    return path.equals("/ui") || path.startsWith("/ui/");
  }

  /** The answer for {@code path} (decoded, without the query), one {@link #owns} accepted. */
  FullHttpResponse answer(ByteBufAllocator alloc, FullHttpRequest request, String path) {
    requireNonNull(path, "path");
    HttpMethod method = request.method();
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      return ErrorResponses.of(
          alloc,
          GatewayError.of(ErrorCode.NOT_FOUND, "Method not allowed on this route (expected GET)."),
          null,
          false);
    }
    if (path.equals("/ui")) {
      FullHttpResponse redirect =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.MOVED_PERMANENTLY, Unpooled.EMPTY_BUFFER);
      redirect.headers().set(HttpHeaderNames.LOCATION, "/ui/");
      redirect.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      return redirect;
    }
    String rest = path.substring("/ui/".length());
    Asset asset = assets.get(rest.isEmpty() ? "index.html" : rest);
    if (asset == null && APP_ROUTE.matcher("/" + rest).matches()) {
      asset = assets.get("index.html");
    }
    if (asset == null) {
      return ErrorResponses.of(
          alloc, GatewayError.of(ErrorCode.NOT_FOUND, "Not found: " + path), null, false);
    }
    return serve(request, asset);
  }

  private FullHttpResponse serve(FullHttpRequest request, Asset asset) {
    boolean notModified = asset.etag().equals(request.headers().get(HttpHeaderNames.IF_NONE_MATCH));
    boolean head = request.method().equals(HttpMethod.HEAD);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            notModified ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
            notModified || head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(asset.bytes()));
    HttpHeaders headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, asset.contentType());
    headers.setInt(HttpHeaderNames.CONTENT_LENGTH, notModified ? 0 : asset.bytes().length);
    headers.set(HttpHeaderNames.ETAG, asset.etag());
    // The file names carry no content hash, so a browser asks again each time (a 304 when
    // unchanged): an upgraded gateway never runs with yesterday's scripts.
    headers.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    headers.set(HttpHeaderNames.CONTENT_SECURITY_POLICY, contentSecurityPolicy);
    headers.set("x-content-type-options", "nosniff");
    headers.set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY");
    headers.set("referrer-policy", "no-referrer");
    return response;
  }

  private static String contentType(String name) {
    String extension = name.substring(name.lastIndexOf('.') + 1);
    return switch (extension) {
      case "html" -> "text/html; charset=utf-8";
      case "css" -> "text/css; charset=utf-8";
      case "js" -> "text/javascript; charset=utf-8";
      case "svg" -> "image/svg+xml";
      case "png" -> "image/png";
      case "json" -> "application/json";
      default -> throw new IllegalStateException("ui/" + name + ": no content type for it");
    };
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
