package dev.jitgw.server.http;

import dev.jitgw.core.credential.UpstreamAuth;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which headers cross the gateway, in each direction.
 *
 * <p>Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and are dropped, along with any
 * header the {@code connection} header names. On the way up the caller's credential ({@code
 * authorization}, {@code x-api-key}) is removed and the gateway's own is added; every other header
 * passes unchanged, because beta headers and body fields come in pairs.
 */
public final class ProxyHeaders {
  /** Added to every data-plane response; the key of the exchange's audit records. */
  public static final AsciiString EXCHANGE_ID = AsciiString.cached("jitgw-exchange-id");

  static final AsciiString ANTHROPIC_BETA = AsciiString.cached("anthropic-beta");
  static final AsciiString X_API_KEY = AsciiString.cached("x-api-key");

  /** The beta flag that makes the upstream accept an OAuth bearer access token. */
  public static final String OAUTH_BETA = "oauth-2025-04-20";

  private static final Set<AsciiString> HOP_BY_HOP =
      Set.of(
          HttpHeaderNames.CONNECTION,
          HttpHeaderNames.KEEP_ALIVE,
          AsciiString.cached("proxy-connection"),
          HttpHeaderNames.PROXY_AUTHENTICATE,
          HttpHeaderNames.PROXY_AUTHORIZATION,
          HttpHeaderNames.TE,
          HttpHeaderNames.TRAILER,
          HttpHeaderNames.TRANSFER_ENCODING,
          HttpHeaderNames.UPGRADE);

  /** Never forwarded upstream: the gateway sets its own or consumed them. */
  private static final Set<AsciiString> NOT_FORWARDED_UP =
      Set.of(
          HttpHeaderNames.HOST,
          HttpHeaderNames.CONTENT_LENGTH,
          HttpHeaderNames.EXPECT,
          HttpHeaderNames.AUTHORIZATION,
          X_API_KEY);

  private ProxyHeaders() {}

  /**
   * The headers to send upstream for a caller's request.
   *
   * @param caller the caller's headers (not modified)
   * @param authority the upstream {@code host}
   * @param auth the gateway's upstream credential
   * @param contentLength the buffered body's length, or -1 to send none
   */
  public static HttpHeaders upstreamRequest(
      HttpHeaders caller, String authority, UpstreamAuth auth, long contentLength) {
    HttpHeaders out = DefaultHttpHeadersFactory.headersFactory().newHeaders();
    Set<String> connectionListed = connectionListed(caller);
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = caller.iteratorCharSequence();
        it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> header = it.next();
      AsciiString name = AsciiString.of(header.getKey()).toLowerCase();
      if (HOP_BY_HOP.contains(name)
          || NOT_FORWARDED_UP.contains(name)
          || connectionListed.contains(name.toString())
          || name.contentEquals(ANTHROPIC_BETA)) {
        continue;
      }
      out.add(name, header.getValue());
    }
    List<String> betas = betaFlags(caller, auth.bearer());
    if (!betas.isEmpty()) {
      out.set(ANTHROPIC_BETA, String.join(",", betas));
    }
    out.set(HttpHeaderNames.HOST, authority);
    if (contentLength >= 0) {
      out.set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
    }
    out.set(auth.headerName(), auth.headerValue());
    return out;
  }

  /** Never recorded in the audit log: credentials and cookies. */
  private static final Set<AsciiString> NOT_RECORDED =
      Set.of(
          HttpHeaderNames.AUTHORIZATION,
          X_API_KEY,
          HttpHeaderNames.COOKIE,
          HttpHeaderNames.SET_COOKIE);

  /**
   * The headers as the audit log records them: lower-case names, repeated ones joined with {@code
   * ", "}, without hop-by-hop headers, credentials or cookies.
   */
  public static Map<String, String> auditable(HttpHeaders headers) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    Set<String> connectionListed = connectionListed(headers);
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> header = it.next();
      AsciiString name = AsciiString.of(header.getKey()).toLowerCase();
      if (HOP_BY_HOP.contains(name)
          || NOT_RECORDED.contains(name)
          || connectionListed.contains(name.toString())) {
        continue;
      }
      out.merge(name.toString(), header.getValue().toString(), (a, b) -> a + ", " + b);
    }
    return out;
  }

  /** The headers to send the caller for an upstream response. */
  public static HttpHeaders downstreamResponse(HttpHeaders upstream, String exchangeId) {
    HttpHeaders out = DefaultHttpHeadersFactory.headersFactory().newHeaders();
    Set<String> connectionListed = connectionListed(upstream);
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = upstream.iteratorCharSequence();
        it.hasNext(); ) {
      Map.Entry<CharSequence, CharSequence> header = it.next();
      AsciiString name = AsciiString.of(header.getKey()).toLowerCase();
      if (HOP_BY_HOP.contains(name) || connectionListed.contains(name.toString())) {
        continue;
      }
      out.add(name, header.getValue());
    }
    out.set(EXCHANGE_ID, exchangeId);
    return out;
  }

  /**
   * The {@code anthropic-beta} flags to send upstream. An {@code oauth-*} flag describes the
   * caller's credential, which the gateway consumed: it is dropped, and sent only when the gateway
   * itself authenticates with a bearer token (contract section 2).
   */
  static List<String> betaFlags(HttpHeaders caller, boolean bearer) {
    List<String> flags = new ArrayList<>();
    for (String value : caller.getAll(ANTHROPIC_BETA)) {
      for (String flag : value.split(",")) {
        String trimmed = flag.trim();
        if (!trimmed.isEmpty()
            && !trimmed.toLowerCase(Locale.ROOT).startsWith("oauth-")
            && !flags.contains(trimmed)) {
          flags.add(trimmed);
        }
      }
    }
    if (bearer) {
      flags.add(OAUTH_BETA);
    }
    return flags;
  }

  private static Set<String> connectionListed(HttpHeaders headers) {
    List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
    if (values.isEmpty()) {
      return Set.of();
    }
    Set<String> names = new HashSet<>();
    for (String value : values) {
      for (String token : value.split(",")) {
        String name = token.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    }
    return names;
  }
}
