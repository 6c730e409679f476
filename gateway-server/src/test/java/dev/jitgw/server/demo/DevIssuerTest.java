package dev.jitgw.server.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DevIssuerTest {
  private static final Instant NOW = Instant.parse("2026-11-29T10:00:00Z");
  private DevIssuer issuer;

  @BeforeEach
  void start() {
    issuer = DevIssuer.start(0, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void stop() {
    issuer.close();
  }

  private static FullHttpRequest request(HttpMethod method, String uri, String form) {
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, method, uri, Unpooled.copiedBuffer(form, StandardCharsets.UTF_8));
    if (!form.isEmpty()) {
      request.headers().set("content-type", "application/x-www-form-urlencoded");
    }
    return request;
  }

  private static String body(FullHttpResponse response) {
    try {
      return response.content().toString(StandardCharsets.UTF_8);
    } finally {
      response.release();
    }
  }

  @Test
  void discoveryAndKeysLetATokenBeVerifiedWithTheIssuersKeyOnly() throws Exception {
    EmbeddedChannel channel = new EmbeddedChannel(issuer.new Routes());
    channel.writeInbound(request(HttpMethod.GET, DevIssuer.DISCOVERY_PATH, ""));
    JsonNode discovery = new ObjectMapper().readTree(body(channel.readOutbound()));
    assertThat(discovery.path("issuer").asText()).isEqualTo(issuer.issuer());
    assertThat(discovery.path("jwks_uri").asText()).isEqualTo(issuer.issuer() + "/jwks");

    channel.writeInbound(request(HttpMethod.GET, DevIssuer.JWKS_PATH, ""));
    JWKSet keys = JWKSet.parse(body(channel.readOutbound()));
    assertThat(keys.getKeys()).hasSize(1);
    ECKey published = (ECKey) keys.getKeys().get(0);
    assertThat(published.isPrivate()).isFalse();

    SignedJWT token = SignedJWT.parse(issuer.mint(DemoUser.ADMIN));
    assertThat(token.getHeader().getKeyID()).isEqualTo(published.getKeyID());
    assertThat(token.verify(new ECDSAVerifier(published))).isTrue();
    assertThat(token.getJWTClaimsSet().getStringListClaim("groups"))
        .containsExactly("jitgw-admins");
    assertThat(token.getJWTClaimsSet().getExpirationTime().toInstant())
        .isEqualTo(NOW.plus(DevIssuer.DEFAULT_TTL));
    assertFalse(channel.finish());
  }

  @Test
  void theMintEndpointTakesDemoUsersOrAnyIdentityWithinTheLifetimeCap() throws Exception {
    EmbeddedChannel channel = new EmbeddedChannel(issuer.new Routes());
    channel.writeInbound(
        request(HttpMethod.POST, DevIssuer.MINT_PATH, "sub=alice&groups=eng,ml-leads&ttl=5m"));
    FullHttpResponse minted = channel.readOutbound();
    assertThat(minted.status().code()).isEqualTo(200);
    var claims = SignedJWT.parse(body(minted).trim()).getJWTClaimsSet();
    assertThat(claims.getSubject()).isEqualTo("alice");
    assertThat(claims.getStringListClaim("groups")).isEqualTo(List.of("eng", "ml-leads"));
    assertThat(claims.getExpirationTime().toInstant()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));

    record Refused(HttpMethod method, String form, int status, String message) {}
    for (Refused row :
        List.of(
            new Refused(HttpMethod.POST, "user=mallory", 400, "unknown 'mallory'"),
            new Refused(HttpMethod.POST, "user=dev&ttl=2h", 400, "at most 1h"),
            new Refused(HttpMethod.POST, "groups=eng", 400, "missing user=NAME"),
            new Refused(HttpMethod.GET, "", 405, "use POST"))) {
      channel.writeInbound(request(row.method(), DevIssuer.MINT_PATH + "?" + row.form(), ""));
      FullHttpResponse response = channel.readOutbound();
      assertThat(response.status().code()).as(row.form()).isEqualTo(row.status());
      assertThat(body(response)).as(row.form()).contains(row.message()).doesNotContain("eyJ");
    }
    assertFalse(channel.finish());
  }

  @Test
  void tokensAreShortLived() {
    assertThatThrownBy(() -> issuer.mint("dev", List.of(), Duration.ofMinutes(61)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ttl: 61m");
  }
}
