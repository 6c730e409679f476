package dev.jitgw.policy.identity;

import dev.jitgw.core.config.IdentityConfig;
import dev.jitgw.core.config.IssuerConfig;
import dev.jitgw.core.identity.Identity;
import dev.jitgw.policy.testing.TestIdentityProvider;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Token verification cost: a cache hit (the same token again, the common case since SDKs reuse
 * their token until it expires) against a full check (parse, key lookup, RS256 or ES256 signature,
 * claims). Keys are fetched once in setup; the executor runs inline so only CPU is measured.
 *
 * <p>Run: {@code bench/jmh.sh gateway-policy TokenVerifierBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TokenVerifierBenchmark {
  @Param({"RS256", "ES256"})
  public String algorithm;

  private TestIdentityProvider idp;
  private TokenVerifier cached;
  private TokenVerifier uncached;
  private String token;

  @Setup
  public void setUp() {
    idp = new TestIdentityProvider();
    if (algorithm.equals("ES256")) {
      idp.useEcKey();
    }
    List<IssuerConfig> issuers = List.of(IssuerConfig.of(idp.issuer()));
    cached =
        new TokenVerifier(
            new IdentityConfig(issuers, null, 10_000, null), Runnable::run, Clock.systemUTC());
    uncached =
        new TokenVerifier(
            new IdentityConfig(issuers, null, 0, null), Runnable::run, Clock.systemUTC());
    token = idp.token().groups("eng").sign();
    // Fetch keys (and warm the cache) outside the measurement.
    cached.verify(token).toCompletableFuture().join();
    uncached.verify(token).toCompletableFuture().join();
  }

  @TearDown
  public void tearDown() {
    idp.close();
  }

  @Benchmark
  public Identity cacheHit() {
    return cached.verify(token).toCompletableFuture().join();
  }

  @Benchmark
  public Identity fullVerification() {
    return uncached.verify(token).toCompletableFuture().join();
  }
}
