package dev.jitgw.core.exchange;

import static java.util.Objects.requireNonNull;

import dev.jitgw.core.credential.UpstreamAuth;
import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.identity.Identity;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.DefaultAttributeMap;
import java.time.Instant;
import java.util.Optional;

/**
 * One request and its response as it moves through the stages. An exchange is owned by the event
 * loop of its caller's channel: stages read and write it only from that loop (they resume there),
 * so it needs no locking.
 *
 * <p>Later stages fill the slots in order: identity (authenticate), summary (parse), decision
 * (policy), upstream credential. The request body is buffered (capped) so those stages can see it;
 * the exchange owns that buffer until it is handed to the upstream write.
 *
 * <p>Obligations that later steps settle (a limits reservation, say) travel as Netty attributes
 * ({@link #attr}), keyed by the module that defines them, so this model needs no type of theirs.
 */
public final class Exchange extends DefaultAttributeMap {
  private final String id;
  private final Instant startedAt;
  private final long startNanos;
  private final String method;
  private final String uri;
  private final HttpHeaders requestHeaders;

  private ByteBuf body;
  private Identity identity;
  private RequestSummary summary;
  private Decision decision;
  private String policyVersion;
  private UpstreamAuth upstreamAuth;

  public Exchange(
      String id,
      Instant startedAt,
      long startNanos,
      String method,
      String uri,
      HttpHeaders requestHeaders) {
    this.id = requireNonNull(id, "id");
    this.startedAt = requireNonNull(startedAt, "startedAt");
    this.startNanos = startNanos;
    this.method = requireNonNull(method, "method");
    this.uri = requireNonNull(uri, "uri");
    this.requestHeaders = requireNonNull(requestHeaders, "requestHeaders");
  }

  public String id() {
    return id;
  }

  public Instant startedAt() {
    return startedAt;
  }

  /** {@link System#nanoTime()} when the request head arrived; for durations only. */
  public long startNanos() {
    return startNanos;
  }

  public String method() {
    return method;
  }

  /** Path and query string as the caller sent them, e.g. {@code /v1/messages?beta=true}. */
  public String uri() {
    return uri;
  }

  /** The caller's request headers, credentials included: never log or record them as they are. */
  public HttpHeaders requestHeaders() {
    return requestHeaders;
  }

  /** The buffered request body; empty until the body has been read. Not retained for the caller. */
  public Optional<ByteBuf> body() {
    return Optional.ofNullable(body);
  }

  /** Hands the buffered body to the exchange, which then owns (and eventually releases) it. */
  public void body(ByteBuf body) {
    if (this.body != null && this.body != body) {
      this.body.release();
    }
    this.body = body;
  }

  /** Takes the body out of the exchange; the caller now owns it. */
  public ByteBuf takeBody() {
    ByteBuf taken = body;
    body = null;
    return taken;
  }

  /** Releases what the exchange still owns; safe to call more than once. */
  public void release() {
    if (body != null) {
      body.release();
      body = null;
    }
  }

  /** The verified caller; empty until the authentication stage has run. */
  public Optional<Identity> identity() {
    return Optional.ofNullable(identity);
  }

  public void identity(Identity identity) {
    this.identity = requireNonNull(identity, "identity");
  }

  /** The parsed request summary; empty until the body has been read and parsed. */
  public Optional<RequestSummary> summary() {
    return Optional.ofNullable(summary);
  }

  public void summary(RequestSummary summary) {
    this.summary = requireNonNull(summary, "summary");
  }

  /** The policy's decision; empty until the policy stage has run. */
  public Optional<Decision> decision() {
    return Optional.ofNullable(decision);
  }

  /** The version (content hash) of the policy that decided; empty until then. */
  public Optional<String> policyVersion() {
    return Optional.ofNullable(policyVersion);
  }

  public void decision(Decision decision, String policyVersion) {
    this.decision = requireNonNull(decision, "decision");
    this.policyVersion = requireNonNull(policyVersion, "policyVersion");
  }

  public Optional<UpstreamAuth> upstreamAuth() {
    return Optional.ofNullable(upstreamAuth);
  }

  public void upstreamAuth(UpstreamAuth auth) {
    this.upstreamAuth = requireNonNull(auth, "auth");
  }

  @Override
  public String toString() {
    return "Exchange{" + id + ' ' + method + ' ' + uri + '}';
  }
}
