package dev.jitgw.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.util.DefaultResourceRetriever;
import dev.jitgw.core.config.IdentityConfig;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import dev.jitgw.policy.testing.MutableClock;
import dev.jitgw.policy.testing.TestIdentityProvider;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each fetch of an issuer's key set reaches the listener, with its outcome (for metrics). */
class JwksFetchListenerTest {
  private final MutableClock clock = MutableClock.atNow();
  private final ExecutorService blocking = Executors.newFixedThreadPool(2);
  private final TestIdentityProvider idp = new TestIdentityProvider(clock);
  private final List<String> fetches = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    idp.close();
    blocking.shutdownNow();
  }

  private TokenVerifier verifier() {
    return new TokenVerifier(
        IdentityConfig.defaults().withIssuers(List.of(IssuerConfig.of(idp.issuer()))),
        blocking,
        clock,
        new DefaultResourceRetriever(5_000, 5_000, 512 * 1024),
        null,
        (issuer, success) -> fetches.add(issuer + " " + (success ? "success" : "failure")));
  }

  private static void verify(TokenVerifier verifier, String token) {
    try {
      verifier.verify(token).toCompletableFuture().join();
    } catch (CompletionException e) {
      throw (RuntimeException) e.getCause();
    }
  }

  @Test
  void theFirstFetchAndARefetchForANewKeyAreCountedAsSuccesses() {
    TokenVerifier verifier = verifier();
    verify(verifier, idp.token().sign());
    assertThat(fetches).containsExactly(idp.issuer() + " success");

    idp.rotate(); // an unknown kid: the key set is fetched again
    verify(verifier, idp.token().sign());
    assertThat(fetches).containsExactly(idp.issuer() + " success", idp.issuer() + " success");
    assertThat(idp.jwksRequests()).isEqualTo(2);
  }

  @Test
  void aKeySetThatCannotBeFetchedIsCountedAsAFailure() {
    idp.jwksDown(true);
    TokenVerifier verifier = verifier();
    assertThatThrownBy(() -> verify(verifier, idp.token().sign()))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> assertThat(e.error().code()).isEqualTo(ErrorCode.IDENTITY_PROVIDER_UNAVAILABLE));
    assertThat(fetches).isNotEmpty().containsOnly(idp.issuer() + " failure");
    assertThat(fetches).hasSize(idp.jwksRequests());
  }

  @Test
  void anIssuerThatIsDownIsCountedAsAFailure() {
    idp.down(true); // discovery fails: no key set can be fetched
    TokenVerifier verifier = verifier();
    assertThatThrownBy(() -> verify(verifier, idp.token().sign()))
        .isInstanceOf(GatewayException.class);
    assertThat(fetches).containsExactly(idp.issuer() + " failure");
    assertThat(idp.jwksRequests()).isZero();
  }
}
