package dev.jitgw.core.stage;

import dev.jitgw.core.exchange.Exchange;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * A route under {@code /v1/} that the gateway answers itself instead of forwarding, such as its
 * token endpoint {@code POST /v1/oauth/token}. It sees the buffered body; it authenticates the
 * caller itself (the request-head authentication stage does not run for it).
 */
public interface LocalEndpoint {

  boolean handles(String method, String path);

  /**
   * The largest body this endpoint reads. Local endpoints authenticate from the body, so an
   * anonymous caller must not make the gateway buffer the data plane's full body cap.
   */
  default long maxBodyBytes() {
    return 64 * 1024;
  }

  /** The response; must not block (complete the stage later instead). */
  CompletionStage<Response> handle(Exchange exchange);

  /** A complete response. */
  record Response(int status, Map<String, String> headers, byte[] body) {
    public Response {
      headers = Map.copyOf(headers);
    }
  }
}
